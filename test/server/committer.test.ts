/** Group commit: when a batch is written, and that its callers hear only after the commit. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Committer } from '../../src/server/committer.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { NewTask, WriteBatch, WriteOutcome } from '../../src/store/types.ts';
import { tempDir } from '../support/server.ts';

/** A SQLite store that records the size of each batch it writes. */
class RecordingStore extends SqliteStore {
  batches: number[] = [];

  override async write(batch: WriteBatch): Promise<WriteOutcome> {
    this.batches.push(batch.submits.length);
    return super.write(batch);
  }
}

const tasks = (n: number): NewTask[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'noop', data: i, reps: 1, maxAttempts: 1 }));

async function withCommitter(fn: (c: Committer, store: RecordingStore) => Promise<void>) {
  const tmp = tempDir();
  const store = new RecordingStore({ path: join(tmp.dir, 'db') });
  await store.open();
  try {
    await fn(new Committer(store, { now: () => 1_700_000_000_000 }), store);
  } finally {
    await store.close();
    tmp.remove();
  }
}

describe('committer', () => {
  it("joins one turn's small writes in one transaction, at the end of the turn", () =>
    withCommitter(async (committer, store) => {
      let turnEnded = false;
      setImmediate(() => {
        turnEnded = true;
      });
      const [a, b] = await Promise.all([committer.submit(tasks(3)), committer.submit(tasks(2))]);
      assert.equal(turnEnded, true, 'written once the turn was over');
      assert.deepEqual(store.batches, [5]);
      assert.equal(a.ids.length + b.ids.length, 5);
    }));

  it('writes a large batch as soon as the request that filled it is handled', () =>
    withCommitter(async (committer, store) => {
      let turnEnded = false;
      setImmediate(() => {
        turnEnded = true;
      });
      const { ids } = await committer.submit(tasks(64));
      assert.equal(turnEnded, false, 'committed before the turn was over');
      assert.equal(ids.length, 64);
      assert.deepEqual(store.batches, [64]);
    }));

  it("isolates a request the store cannot take: the batch's other callers commit", () =>
    withCommitter(async (committer, store) => {
      // Valid JSON nested this deep breaks the store's JSON.stringify (RangeError) inside
      // the shared transaction: the whole batch is rolled back, then written caller by caller.
      let deep: unknown = 'x';
      for (let i = 0; i < 20_000; i++) deep = [deep];
      const poison: NewTask = { type: 'noop', data: deep as never, reps: 1, maxAttempts: 1 };
      const [a, bad, b] = await Promise.allSettled([
        committer.submit(tasks(3)),
        committer.submit([poison]),
        committer.submit(tasks(2)),
      ]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(b.status, 'fulfilled');
      assert.equal(bad.status, 'rejected');
      assert.ok((bad as PromiseRejectedResult).reason instanceof RangeError);
      assert.deepEqual(store.batches, [6, 3, 1, 2], 'the batch, then each caller alone');
      const ids = [
        ...(a as PromiseFulfilledResult<{ ids: number[] }>).value.ids,
        ...(b as PromiseFulfilledResult<{ ids: number[] }>).value.ids,
      ];
      for (const id of ids) assert.equal((await store.get(id))?.status, 'enqueued');
      // The committer goes on as before.
      const next = await committer.submit(tasks(1));
      assert.equal(next.ids.length, 1);
    }));
});
