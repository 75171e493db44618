/**
 * A worker that leaves while the store refuses writes: the server cannot give its lease
 * back at once. It must keep serving (no unhandled rejection, which would end the process),
 * and the task must still run once the store is back: its lease expires and is taken back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { WriteBatch, WriteOutcome } from '../../src/store/types.ts';
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
