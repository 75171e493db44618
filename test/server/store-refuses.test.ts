/**
 * A worker that leaves while the store refuses writes: the server cannot give its lease
 * back at once. It must keep serving (no unhandled rejection, which would end the process),
 * and the task must still run once the store is back: its lease expires and is taken back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Client, connect } from '../../src/client/client.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { ExpiredLease, WriteBatch, WriteOutcome } from '../../src/store/types.ts';
import { Worker } from '../../src/worker/worker.ts';
import { RawClient, tempDir } from '../support/server.ts';

/** A real SQLite store whose writes fail while `refusing` is set, as when its disk is gone. */
class RefusingStore extends SqliteStore {
  refusing = false;

  override async write(batch: WriteBatch): Promise<WriteOutcome> {
    if (this.refusing) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    return super.write(batch);
  }
}

/** The error of a connection lost after COMMIT was sent: whether it took effect is unknown. */
function lostAnswer(): StoreUnavailableError {
  return new StoreUnavailableError(
    'lost the PostgreSQL connection: terminating connection due to administrator command',
    '57P01',
  );
}

/**
 * A real SQLite store that can lose an answer: the next write carrying a completion (or
 * the next reclaim of expired leases) is committed, then fails as if the connection broke
 * before its answer arrived. With `refusing`, a write carrying a completion fails unwritten.
 */
class LostAnswerStore extends SqliteStore {
  refusing = false;
  loseReport = false;
  loseReclaim = false;
  /** Resolves once an answer was lost (or a write refused). */
  failed: Promise<void>;
  private fail!: () => void;

  constructor(opts: { path: string }) {
    super(opts);
    this.failed = this.armed();
  }

  private armed(): Promise<void> {
    return new Promise((resolve) => {
      this.fail = resolve;
    });
  }

  override async write(batch: WriteBatch): Promise<WriteOutcome> {
    if (batch.completions.length === 0) return super.write(batch);
    if (this.refusing) {
      this.refusing = false;
      this.fail();
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    }
    const outcome = await super.write(batch);
    if (!this.loseReport) return outcome;
    this.loseReport = false;
    this.fail();
    throw lostAnswer();
  }

  override async reclaimExpired(now: number): Promise<ExpiredLease[]> {
    const expired = await super.reclaimExpired(now);
    if (!this.loseReclaim || expired.length === 0) return expired;
    this.loseReclaim = false;
    this.fail();
    throw lostAnswer();
  }
}

/** A server on a LostAnswerStore and a client, for `fn`; all closed after. */
async function withLostAnswers(
  opts: { leaseMs: number; local?: boolean },
  fn: (t: { store: LostAnswerStore; client: Client; port: number }) => Promise<void>,
): Promise<void> {
  const tmp = tempDir();
  const store = new LostAnswerStore({ path: join(tmp.dir, 'db') });
  const server = new TaskwireServer({ store, port: 0, delayScale: 0, ...opts });
  const { port } = await server.start();
  const client = await connect({ port, reconnect: false });
  try {
    await fn({ store, client, port });
  } finally {
    await client.close();
    await server.close();
    tmp.remove();
  }
}

describe('a store whose answer is lost after it committed', () => {
  it('a report stored after all does not keep its worker busy; its waiter hears the result', {
    timeout: 20_000,
  }, async () => {
    // One built-in slot: a slot held forever by the lost report would stop every task.
    await withLostAnswers({ leaseMs: 200 }, async ({ store, client }) => {
      store.loseReport = true;
      const first = await client.submit('flip', 'abc');
      const waited = client.wait(first);
      await store.failed;
      const second = await client.submit('flip', 'xyz');
      assert.equal((await client.wait(second)).result, 'zyx', 'the next task runs');
      const done = await waited;
      assert.equal(done.status, 'done', 'the waiter is told the stored result');
      assert.equal(done.result, 'cba');
      const log = (await client.status(first, { attempts: true })).attemptLog ?? [];
      assert.deepEqual(
        log.map((a) => a.state),
        ['done'],
        'the task ran once: its report was stored',
      );
    });
  });

  it('a lease whose reclaim committed unanswered is freed, and its task runs again', {
    timeout: 20_000,
  }, async () => {
    await withLostAnswers({ leaseMs: 200 }, async ({ store, client }) => {
      // The report is refused (its lease stays active, then expires); the sweep's reclaim
      // of it commits, but its answer is lost.
      store.refusing = true;
      store.loseReclaim = true;
      const first = await client.submit('flip', 'abc');
      const waited = client.wait(first);
      await store.failed;
      const done = await waited;
      assert.equal(done.result, 'cba', 'the task taken back runs again');
      assert.equal((await client.run('flip', 'xyz')).result, 'zyx', 'the next task runs');
      const log = (await client.status(first, { attempts: true })).attemptLog ?? [];
      assert.deepEqual(
        log.map((a) => a.state),
        ['expired', 'done'],
      );
      assert.equal(store.loseReclaim, false, 'the reclaim lost its answer');
    });
  });
  it('a worker cannot extend a lease whose report failed (it is left to expire)', async () => {
    await withLostAnswers({ leaseMs: 5_000, local: false }, async ({ store, client, port }) => {
      const raw = await RawClient.connect(port);
      try {
        await raw.call('worker.hello', { name: 'raw', types: ['resize'], concurrency: 1 });
        await client.submit('resize', { w: 1 });
        const assign = await raw.json();
        assert.equal(assign.method, 'task.assign');
        const token = assign.params.tasks[0].token as number;
        assert.deepEqual((await raw.call('worker.extend', { tokens: [token] })).result, {
          accepted: [true],
        });
        store.refusing = true;
        const report = await raw.call('worker.complete', { items: [{ token, result: 'r' }] });
        assert.equal(report.error?.code, 2002, 'the report is refused: STORE_UNAVAILABLE');
        assert.deepEqual((await raw.call('worker.extend', { tokens: [token] })).result, {
          accepted: [false],
        });
      } finally {
        raw.close();
      }
    });
  });
});

describe('a store that refuses writes', () => {
  it('a worker leaving then does not bring the server down, and its task runs later', async () => {
    const tmp = tempDir();
    const store = new RefusingStore({ path: join(tmp.dir, 'db') });
    const server = new TaskwireServer({ store, port: 0, local: false, leaseMs: 300 });
    const { port } = await server.start();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const client = await connect({ port, reconnect: false });
    let worker: Worker | undefined;
    try {
      // A raw worker takes the task and vanishes while the store refuses writes.
      const raw = await RawClient.connect(port);
      await raw.call('worker.hello', { name: 'vanishing', types: ['resize'], concurrency: 1 });
      const leased = new Promise<void>((resolve) =>
        server.events.once('task:leased', () => resolve()),
      );
      const id = await client.submit('resize', { w: 1 });
      await leased;
      store.refusing = true;
      const left = new Promise<void>((resolve) =>
        server.events.once('worker:left', () => resolve()),
      );
      raw.socket.destroy();
      await left;
      assert.deepEqual(unhandled, [], 'a refused release was left unhandled');
      assert.equal((await client.ping()).pong, true, 'the server still answers');

      // The store is back: the lease expires, the sweep takes it back, another worker runs it.
      store.refusing = false;
      worker = new Worker({ port, name: 'steady' });
      worker.handle('resize', () => 'resized');
      await worker.start();
      const done = await client.wait(id);
      assert.equal(done.status, 'done');
      assert.equal(done.result, 'resized');
      const log = (await client.status(id, { attempts: true })).attemptLog ?? [];
      assert.deepEqual(
        log.map((a) => [a.worker.split('@')[0], a.state]),
        [
          ['vanishing', 'expired'],
          ['steady', 'done'],
        ],
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await worker?.close();
      await client.close();
      await server.close();
      tmp.remove();
    }
  });
});
