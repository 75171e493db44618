/** The metrics' task counts: reconciled a slice of ids at a time, exact with changes applied meanwhile. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TaskCounts, TypeLabels } from '../../src/server/task-counts.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { emptyBatch, type NewTask, type Store } from '../../src/store/types.ts';
import { tempDir } from '../support/server.ts';

const T0 = 1_700_000_000_000;
const task = (type: string): NewTask => ({ type, data: 1, reps: 1, maxAttempts: 1 });

/** The counts as a sorted list of `type status n`, zeros left out. */
function list(counts: TaskCounts): string[] {
  return [...counts.entries()]
    .flatMap(([type, row]) => Object.entries(row).map(([s, n]) => `${type} ${s} ${n}`))
    .filter((l) => !l.endsWith(' 0'))
    .sort();
}

async function storeCounts(store: Store): Promise<string[]> {
  const rows = await store.countsByType(0, await store.maxTaskId());
  return rows.map((r) => `${r.type} ${r.status} ${r.n}`).sort();
}

describe('task counts', () => {
  it('a reconcile in slices counts every task once, with changes made between its slices', async () => {
    const tmp = tempDir();
    const store = new SqliteStore({ path: join(tmp.dir, 'c.db') });
    await store.open();
    const ids = (
      await store.write({
        ...emptyBatch(T0),
        submits: Array.from({ length: 10 }, (_, i) => task(i % 2 ? 'a' : 'b')),
      })
    ).ids;
    let counts!: TaskCounts;
    let slices = 0;
    // Between the first and the second slice (ids 1-4 read, 5-10 not yet), the server
    // changes tasks on both sides and submits new ones; each change reaches the counts.
    const between = async () => {
      const [low] = await store.claim({
        worker: 'w',
        types: ['b'],
        limit: 1,
        now: T0,
        leaseMs: 1e6,
      });
      assert.equal(low?.taskId, ids[0], 'a task already read');
      counts.move('b', 'enqueued', 'processing', low!.taskId);
      const high = (await store.write({ ...emptyBatch(T0), cancels: [ids[9]!] })).cancels[0]!;
      assert.ok(high.ok, 'a task not read yet');
      counts.move('a', 'enqueued', 'canceled', ids[9]!);
      const fresh = await store.write({ ...emptyBatch(T0), submits: [task('c'), task('c')] });
      counts.move('c', undefined, 'enqueued', fresh.ids[0]!, 2);
    };
    const sliced: Store = Object.create(store, {
      countsByType: {
        value: async (after: number, to: number) => {
          // As when the server commits while the reconcile yields between two slices.
          if (slices++ === 1) await between();
          return store.countsByType(after, to);
        },
      },
    });
    counts = new TaskCounts(sliced, new TypeLabels(), (e) => assert.fail(String(e)), 4);
    await counts.reconcile();
    assert.equal(slices, 3, '10 tasks in slices of 4');
    assert.deepEqual(list(counts), await storeCounts(store));
    assert.deepEqual(list(counts), [
      'a canceled 1',
      'a enqueued 4',
      'b enqueued 4',
      'b processing 1',
      'c enqueued 2',
    ]);
    await counts.stop();
    await store.close();
    tmp.remove();
  });

  it('pruned tasks leave the counts, also during a reconcile in slices', async () => {
    const tmp = tempDir();
    const store = new SqliteStore({ path: join(tmp.dir, 'p.db') });
    await store.open();
    const { ids } = await store.write({
      ...emptyBatch(T0),
      submits: Array.from({ length: 10 }, () => task('a')),
    });
    // Every task canceled (finished) at T0: a 1 s retention lets them all go at T0 + 2 s.
    await store.write({ ...emptyBatch(T0), cancels: ids });
    let counts!: TaskCounts;
    let slices = 0;
    const prune = async () => {
      const out = await store.prune({
        now: T0 + 2000,
        policy: { done: 1000, failed: 1000, canceled: 1000 },
        keyHoldMs: 0,
        before: T0 + 1000,
        after: undefined,
        // Ids 1-3: read by the first slice; 4-6: not read yet.
        limit: 6,
      });
      for (const t of out.tasks) counts.remove(t.type, t.status, t.id);
    };
    const sliced: Store = Object.create(store, {
      countsByType: {
        value: async (after: number, to: number) => {
          if (slices++ === 1) await prune();
          return store.countsByType(after, to);
        },
      },
    });
    counts = new TaskCounts(sliced, new TypeLabels(), (e) => assert.fail(String(e)), 3);
    await counts.reconcile();
    assert.deepEqual(list(counts), ['a canceled 4']);
    assert.deepEqual(list(counts), await storeCounts(store));
    await counts.stop();
    await store.close();
    tmp.remove();
  });

  it('moves never count below zero, and fold types past the cap into other', async () => {
    const store = { countsByType: async () => [], maxTaskId: async () => 0 } as unknown as Store;
    const counts = new TaskCounts(store, new TypeLabels(1), () => undefined);
    await counts.start(0);
    counts.move('x', undefined, 'enqueued', 1, 2);
    counts.move('y', undefined, 'enqueued', 3);
    counts.move('x', 'processing', 'done', 1);
    assert.deepEqual(list(counts), ['other enqueued 1', 'x done 1', 'x enqueued 2']);
    assert.deepEqual(counts.typesWaiting(), ['x']);
    await counts.stop();
  });
});
