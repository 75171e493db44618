/**
 * The Store contract, part: tallies, one multi-unit task per key, leased to many workers
 * until every key has its units.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  type ContractTest,
  claimOne,
  claimTally,
  complete,
  fail,
  ids,
  keyOf,
  mustGet,
  mustTally,
  newTask,
  release,
  submit,
  T0,
} from './helpers.ts';

export function talliesContract(test: ContractTest): void {
  describe('tallies', () => {
    test('creates one task per key, leased in key order', async (store) => {
      const [plain] = await submit(store, T0, newTask());
      const { id, created } = await store.createTally({ keys: 5, reps: 2, maxAttempts: 4 }, T0 + 1);
      assert.equal(created, true);
      assert.deepEqual(await store.counts(), {
        scheduled: 0,
        enqueued: 6,
        processing: 0,
        done: 0,
        failed: 0,
        canceled: 0,
      });
      const leases = await claimTally(store, T0 + 2, 'w1');
      assert.deepEqual(
        leases.map((l) => l.data),
        [0, 1, 2, 3, 4].map((key) => ({ tally: id, key })),
      );
      for (const lease of leases) {
        assert.equal(lease.type, 'tally');
        assert.equal(lease.reps, 2);
        assert.equal(lease.attempt, 1);
        assert.ok(lease.taskId > plain!, 'after the earlier task');
      }
      const taskIds = ids(leases);
      assert.deepEqual(
        taskIds,
        [...taskIds].sort((a, b) => a - b),
        'ascending ids',
      );
      assert.deepEqual(await mustGet(store, taskIds[3]!), {
        id: taskIds[3],
        type: 'tally',
        data: { tally: id, key: 3 },
        status: 'processing',
        result: undefined,
        error: null,
        reps: 2,
        unitsDone: 0,
        unitsLeased: 1,
        attempts: 1,
        failures: 0,
        maxAttempts: 4,
        progress: null,
        runAt: T0 + 1,
        createdAt: T0 + 1,
        startedAt: T0 + 2,
        finishedAt: null,
        updatedAt: T0 + 2,
        priority: 0,
        key: null,
        schedule: null,
      });
      assert.equal((await mustGet(store, plain!)).status, 'enqueued', 'other types untouched');

      // A second tally, one key at a time: key 0 first.
      const second = await store.createTally({ keys: 3, reps: 1, maxAttempts: 1 }, T0 + 3);
      assert.deepEqual(second.created, true);
      assert.notEqual(second.id, id);
      const one = async () => {
        const [lease] = await claimTally(store, T0 + 4, 'w2', 1);
        assert.ok(lease);
        return lease.data;
      };
      // The first tally's keys still have units to lease (reps 2): they come first.
      for (let key = 0; key < 5; key++) assert.deepEqual(await one(), { tally: id, key });
      for (let key = 0; key < 3; key++) assert.deepEqual(await one(), { tally: second.id, key });
      assert.deepEqual(await claimTally(store, T0 + 4, 'w2'), []);
    });

    test('a named tally is created once', async (store) => {
      const first = await store.createTally(
        { name: 'nightly', keys: 3, reps: 2, maxAttempts: 3 },
        T0,
      );
      assert.equal(first.created, true);
      const again = await store.createTally(
        { name: 'nightly', keys: 7, reps: 5, maxAttempts: 1 },
        T0 + 10,
      );
      assert.deepEqual(again, { id: first.id, created: false });
      assert.equal((await store.counts()).enqueued, 3, 'no tasks added');
      const summary = await mustTally(store, { name: 'nightly' });
      assert.equal(summary.id, first.id);
      assert.equal(summary.name, 'nightly');
      assert.equal(summary.keys, 3);
      assert.equal(summary.reps, 2);
      assert.equal(summary.createdAt, T0);
      assert.equal((await claimTally(store, T0 + 11, 'w1')).length, 3);

      const weekly = await store.createTally(
        { name: 'weekly', keys: 1, reps: 1, maxAttempts: 1 },
        T0,
      );
      assert.equal(weekly.created, true);
      assert.notEqual(weekly.id, first.id);
      // Unnamed tallies are never merged.
      const u1 = await store.createTally({ keys: 1, reps: 1, maxAttempts: 1 }, T0);
      const u2 = await store.createTally({ keys: 1, reps: 1, maxAttempts: 1 }, T0);
      assert.ok(u1.created && u2.created);
      assert.notEqual(u1.id, u2.id);
      assert.equal((await mustTally(store, { id: u1.id })).name, null);
      assert.deepEqual(await store.counts(), {
        scheduled: 0,
        enqueued: 3,
        processing: 3,
        done: 0,
        failed: 0,
        canceled: 0,
      });
    });

    test('summarizes a tally before any work', async (store) => {
      const { id } = await store.createTally({ keys: 4, reps: 3, maxAttempts: 2 }, T0);
      const expected = {
        id,
        name: null,
        keys: 4,
        reps: 3,
        keysDone: 0,
        unitsMin: 0,
        unitsMax: 0,
        unitsTotal: 0,
        createdAt: T0,
        finishedAt: null,
        workers: [],
      };
      assert.deepEqual(await store.tally({ id }), expected);
      assert.deepEqual(await store.tally({}), expected);
      // Leased units are not done units, and a lease in flight names no worker yet.
      await claimTally(store, T0 + 1, 'w1');
      assert.deepEqual(await store.tally({ id }), expected);
    });

    test('counts keys, units and workers exactly', async (store) => {
      // Work outside the tally must not show in its summary.
      const other = await store.createTally({ keys: 1, reps: 1, maxAttempts: 1 }, T0);
      const [otherLease] = await claimTally(store, T0, 'zz');
      await complete(store, T0, otherLease!.token, null, 1);
      await submit(store, T0, newTask());
      await complete(store, T0, (await claimOne(store, T0, 'w-flip')).token, 'ok');

      const { id } = await store.createTally({ keys: 3, reps: 4, maxAttempts: 5 }, T0 + 1);
      const summary = () => mustTally(store, { id });
      const [a0, a1, a2] = await claimTally(store, T0 + 2, 'w3', 3);
      const [b0, b1, b2] = await claimTally(store, T0 + 3, 'w1', 3);
      const [c0] = await claimTally(store, T0 + 3, 'w9', 1);
      const [e0] = await claimTally(store, T0 + 3, 'w0', 1);
      assert.deepEqual(
        [a0, a1, a2, b0, b1, b2, c0, e0].map((l) => keyOf(l!)),
        [0, 1, 2, 0, 1, 2, 0, 0],
      );

      await complete(store, T0 + 4, a0!.token, null, 3); // key 0: 3
      await complete(store, T0 + 4, b1!.token, null, 2); // key 1: 2
      await fail(store, T0 + 4, c0!.token, 'boom', T0 + 4); // w9 has no accepted attempt
      let s = await summary();
      assert.equal(s.keysDone, 0);
      assert.deepEqual([s.unitsMin, s.unitsMax, s.unitsTotal], [0, 3, 5]);
      assert.equal(s.finishedAt, null);
      assert.deepEqual(s.workers, ['w1', 'w3']);

      await complete(store, T0 + 6, b0!.token, null, 1); // key 0: 4, done
      await complete(store, T0 + 7, a1!.token, null, 2); // key 1: 4, done
      s = await summary();
      assert.equal(s.keysDone, 2);
      assert.deepEqual([s.unitsMin, s.unitsMax, s.unitsTotal], [0, 4, 8]);
      assert.equal(s.finishedAt, null, 'a key is left');

      await release(store, T0 + 8, a2!.token);
      await complete(store, T0 + 9, b2!.token, null, 1); // key 2: 1
      const rest = await claimTally(store, T0 + 10, 'w2', 3);
      assert.deepEqual(rest.map(keyOf), [2], 'only the unfinished key is leased');
      await complete(store, T0 + 11, rest[0]!.token, null, 3); // key 2: 4, done
      s = await summary();
      assert.deepEqual(s, {
        id,
        name: null,
        keys: 3,
        reps: 4,
        keysDone: 3,
        unitsMin: 4,
        unitsMax: 4,
        unitsTotal: 12,
        createdAt: T0 + 1,
        finishedAt: T0 + 11,
        workers: ['w1', 'w2', 'w3'],
      });

      // A unit still in flight on a done key counts, but the tally finished when its last
      // key reached reps.
      await complete(store, T0 + 12, e0!.token, null, 2); // key 0: 6
      s = await summary();
      assert.deepEqual([s.unitsMin, s.unitsMax, s.unitsTotal], [4, 6, 14]);
      assert.equal(s.keysDone, 3);
      assert.equal(s.finishedAt, T0 + 11);
      assert.deepEqual(s.workers, ['w0', 'w1', 'w2', 'w3']);

      assert.deepEqual(await store.tally({ id: other.id }), {
        id: other.id,
        name: null,
        keys: 1,
        reps: 1,
        keysDone: 1,
        unitsMin: 1,
        unitsMax: 1,
        unitsTotal: 1,
        createdAt: T0,
        finishedAt: T0,
        workers: ['zz'],
      });
    });

    test('a key that failed for good is not done: the tally never finishes', async (store) => {
      const { id } = await store.createTally({ keys: 2, reps: 1, maxAttempts: 1 }, T0);
      const [k0, k1] = await claimTally(store, T0 + 1, 'w1');
      await complete(store, T0 + 2, k0!.token, null, 1);
      assert.equal((await fail(store, T0 + 3, k1!.token, 'boom', T0 + 3))?.status, 'failed');
      const s = await mustTally(store, { id });
      assert.deepEqual([s.keysDone, s.unitsMin, s.unitsMax, s.unitsTotal], [1, 0, 1, 1]);
      assert.equal(s.finishedAt, null);
      assert.deepEqual(s.workers, ['w1']);
    });

    test('finds the latest tally, or none', async (store) => {
      assert.equal(await store.tally({}), undefined);
      assert.equal(await store.tally({ id: 1 }), undefined);
      assert.equal(await store.tally({ name: 'a' }), undefined);
      const a = await store.createTally({ name: 'a', keys: 1, reps: 1, maxAttempts: 1 }, T0);
      assert.equal((await mustTally(store, {})).id, a.id);
      const b = await store.createTally({ keys: 2, reps: 1, maxAttempts: 1 }, T0 + 1);
      assert.equal((await mustTally(store, {})).id, b.id);
      await store.createTally({ name: 'a', keys: 1, reps: 1, maxAttempts: 1 }, T0 + 2);
      assert.equal((await mustTally(store, {})).id, b.id, 'finding a named tally adds none');
      assert.equal((await mustTally(store, { id: a.id })).name, 'a');
      assert.equal((await mustTally(store, { name: 'a' })).id, a.id);
      assert.equal((await mustTally(store, { id: b.id })).keys, 2);
      assert.equal(await store.tally({ id: Math.max(a.id, b.id) + 1000 }), undefined);
      assert.equal(await store.tally({ name: 'b' }), undefined);
    });

    test('a stale completion does not count its units', async (store) => {
      const { id } = await store.createTally({ keys: 1, reps: 2, maxAttempts: 3 }, T0);
      const [late] = await claimTally(store, T0, 'slow', 1, 1000);
      assert.ok(late);
      assert.deepEqual(await store.reclaimExpired(T0 + 1001), [
        { token: late.token, taskId: late.taskId, worker: 'slow' },
      ]);
      assert.equal(await complete(store, T0 + 1002, late.token, null, 2), undefined);
      let s = await mustTally(store, { id });
      assert.deepEqual([s.keysDone, s.unitsMin, s.unitsMax, s.unitsTotal], [0, 0, 0, 0]);
      assert.deepEqual(s.workers, []);

      const [fresh] = await claimTally(store, T0 + 1003, 'quick', 1);
      assert.equal(fresh?.taskId, late.taskId);
      await complete(store, T0 + 1004, fresh!.token, null, 2);
      s = await mustTally(store, { id });
      assert.deepEqual([s.keysDone, s.unitsMin, s.unitsMax, s.unitsTotal], [1, 2, 2, 2]);
      assert.equal(s.finishedAt, T0 + 1004);
      assert.deepEqual(s.workers, ['quick']);
      assert.equal(await complete(store, T0 + 1005, late.token, null, 5), undefined);
      assert.deepEqual(await mustTally(store, { id }), s);
    });
  });
}
