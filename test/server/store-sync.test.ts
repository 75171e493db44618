/**
 * StoreSync on a shared store: a change another server told of before anybody here waited
 * on the task (a `run` registers its waiter when its commit is reported, and a busy process
 * may read the other server's notice first) still reaches the waiter that comes after it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Scheduler } from '../../src/server/scheduling/scheduler.ts';
import { StoreSync } from '../../src/server/store-sync.ts';
import { Waiters } from '../../src/server/waiters.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { emptyBatch, type StoreEvent, type TaskRecord } from '../../src/store/types.ts';
import { tempDir } from '../support/server.ts';

/** A SQLite store whose "other servers' events" the test sends itself. */
class TellingStore extends SqliteStore {
  listener: ((event: StoreEvent) => void) | undefined;
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = undefined;
    };
  }
}

const T0 = 1_700_000_000_000;

describe('StoreSync', () => {
  it('a change told before the first waiter reaches that waiter', async () => {
    const tmp = tempDir();
    const store = new TellingStore({ path: join(tmp.dir, 'db') });
    await store.open();
    const waiters = new Waiters();
    const scheduler = { workAppeared() {} } as unknown as Scheduler;
    const sync = new StoreSync(store, scheduler, waiters, (e) => assert.fail(String(e)));
    sync.start();
    try {
      const submit = { type: 'noop', data: 1, reps: 1, maxAttempts: 1 };
      const [id] = (await store.write({ ...emptyBatch(T0), submits: [submit] })).ids;
      const [lease] = await store.claim({
        worker: 'b',
        types: ['noop'],
        limit: 1,
        now: T0,
        leaseMs: 1000,
      });
      await store.write({
        ...emptyBatch(T0 + 1),
        completions: [{ token: lease!.token, result: 'r', units: 1 }],
      });
      // "Another server" finished the task and says so; nobody here waits on it yet.
      store.listener!({ kind: 'changed', ids: [id!] });
      const done = await new Promise<TaskRecord>((resolve) => {
        waiters.add(id!, { onDone: resolve });
      });
      assert.equal(done.status, 'done');
      assert.equal(done.result, 'r');
    } finally {
      sync.stop();
      await store.close();
      tmp.remove();
    }
  });
});
