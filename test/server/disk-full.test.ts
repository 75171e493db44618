/** Disk full: the batch that does not fit is refused whole, nothing before it is lost, the server goes on. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

describe('store full', () => {
  it('answers STORE_UNAVAILABLE, acknowledges nothing it did not commit, and keeps serving', async () => {
    const tmp = tempDir();
    // A database capped at a few pages stands in for a full disk: SQLite fails with SQLITE_FULL.
    const store = new SqliteStore({ path: join(tmp.dir, 'full.db'), maxPageCount: 40 });
    await using t = await startServer({ store, delayScale: 1000, graceMs: 0 });
    const c = await RawClient.connect(t.port);
    const acked: string[] = [];
    let refusal: any;
    for (let i = 0; i < 500 && !refusal; i++) {
      const reply = await c.call('submitMany', {
        tasks: Array.from({ length: 20 }, (_, j) => ({
          type: 'flip',
          data: `task ${i}-${j} ${'x'.repeat(200)}`,
        })),
      });
      if (reply.error) refusal = reply.error;
      else acked.push(...reply.result.ids);
    }
    assert.ok(refusal, 'the store filled up');
    assert.equal(refusal.code, ErrorCode.STORE_UNAVAILABLE);
    assert.match(refusal.message, /full/);
    assert.ok(acked.length > 0);
    for (const id of [acked[0]!, acked.at(-1)!]) {
      const status = await c.call('status', { id });
      assert.match(status.result.data, /^task /, `acknowledged ${id} is intact`);
    }
    const next = String(Number(acked.at(-1)) + 1);
    assert.equal(
      (await c.call('status', { id: next })).error.code,
      ErrorCode.TASK_NOT_FOUND,
      'nothing of the refused batch',
    );
    assert.deepEqual(
      (await c.call('ping')).result,
      { pong: true, server: `taskwire ${process.pid}`, store: 'unavailable' },
      'the server still serves, and says the store failed',
    );
    // Room is made (the test lifts the cap): the next commit succeeds and ping says so.
    store.pragma('max_page_count = 100000');
    const after = await c.call('submit', { type: 'flip', data: 'after' });
    assert.ok(after.result.id, 'a submit works again without a restart');
    assert.equal((await c.call('ping')).result.store, 'ok');
    c.close();
    tmp.remove();
  });
});
