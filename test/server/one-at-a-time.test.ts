/**
 * With --concurrency 1 the server runs one task at a time, and status never shows more: a
 * client polling every task's status, as the seed client does, never sees two processing,
 * also when a completion could not be stored (its lease stays the executor's until it expires;
 * the task then runs again).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { WriteBatch, WriteOutcome } from '../../src/store/types.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

/**
 * A SQLite store whose first write of completions alone fails, as on a full disk. (Not a
 * batch that also carries a submit: the submit would get the error, and the test would poll
 * the status of an error line instead of a task id.)
 */
class FailsOneCompletion extends SqliteStore {
  failed = 0;

  override async write(batch: WriteBatch): Promise<WriteOutcome> {
    if (batch.completions.length > 0 && batch.submits.length === 0 && this.failed === 0) {
      this.failed += 1;
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    }
    return super.write(batch);
  }
}

/** Submits `n` flip tasks over the seed protocol, then polls them all until every one is done. */
async function pollUntilDone(port: number, n: number): Promise<{ most: number; rounds: number }> {
  const c = await RawClient.connect(port);
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      c.write(`1: task${i}\n`);
      ids.push((await c.line()).split(':')[0]!);
    }
    let most = 0;
    for (let rounds = 1; ; rounds++) {
      // One write per round: the server reads the whole round in one go, a consistent view.
      c.write(ids.map((id) => `status: ${id}\n`).join(''));
      const statuses: string[] = [];
      for (const _ of ids) statuses.push((await c.line()).replace(/^[^:]*: /, '').split(',')[0]!);
      most = Math.max(most, statuses.filter((s) => s === 'processing').length);
      if (statuses.every((s) => s === 'done')) return { most, rounds };
    }
  } finally {
    c.close();
  }
}

describe('one task at a time', () => {
  it('status never shows two tasks processing with concurrency 1', async () => {
    await using t = await startServer({ concurrency: 1, delayScale: 0.002 });
    const { most, rounds } = await pollUntilDone(t.port, 12);
    assert.equal(most, 1);
    assert.ok(rounds > 12, `polled while they ran (${rounds} rounds)`);
  });

  it('a completion the store could not take keeps the slot until its lease expires', async () => {
    const tmp = tempDir();
    const store = new FailsOneCompletion({ path: join(tmp.dir, 'db') });
    await using t = await startServer({ store, concurrency: 1, delayScale: 0.002, leaseMs: 400 });
    const expired = t.server.events.next('lease:expired');
    const { most } = await pollUntilDone(t.port, 4);
    assert.equal(store.failed, 1, 'one completion failed');
    await expired; // the first task's lease, taken back: it ran again
    assert.equal(most, 1, 'never two processing');
    tmp.remove();
  });
});
