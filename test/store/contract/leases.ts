/**
 * The Store contract, part: lease deadlines (extension, expiry, reclaiming), the next retry
 * time, and the attempt log.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  type ContractTest,
  claim,
  claimOne,
  complete,
  fail,
  ids,
  LEASE_MS,
  mustGet,
  newTask,
  release,
  submit,
  T0,
  write,
} from './helpers.ts';

export function leasesContract(test: ContractTest): void {
  describe('lease deadlines', () => {
    test('reclaimExpired takes back leases past their deadline', async (store) => {
      const [a, b] = await submit(store, T0, newTask(), newTask());
      const la = await claimOne(store, T0, 'wa'); // deadline T0 + LEASE_MS
      const lb = await claimOne(store, T0 + 10, 'wb'); // deadline T0 + 10 + LEASE_MS
      assert.deepEqual(await store.reclaimExpired(T0 + LEASE_MS), [], 'deadline is inclusive');
      assert.deepEqual(await store.reclaimExpired(T0 + LEASE_MS + 1), [
        { token: la.token, taskId: a, worker: 'wa' },
      ]);
      const task = await mustGet(store, a!);
      assert.equal(task.status, 'enqueued');
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.failures, 0);
      assert.equal(task.updatedAt, T0 + LEASE_MS + 1);
      assert.equal(await complete(store, T0 + LEASE_MS + 2, la.token, 'late'), undefined);
      assert.deepEqual(await store.reclaimExpired(T0 + LEASE_MS + 2), []);
      const again = await claimOne(store, T0 + LEASE_MS + 2, 'wc');
      assert.equal(again.taskId, a);
      assert.equal(again.attempt, 2);
      assert.equal((await mustGet(store, b!)).status, 'processing');
      assert.equal(lb.deadline, T0 + 10 + LEASE_MS);
    });

    test('extend moves the deadline of active leases only', async (store) => {
      const [a] = await submit(store, T0, newTask(), newTask());
      const [la, lb] = await claim(store, T0, { limit: 2 });
      await complete(store, T0 + 1, lb!.token, 'done');
      const newDeadline = T0 + 10 * LEASE_MS;
      assert.deepEqual(await store.extend([la!.token, lb!.token, 55555], newDeadline, T0 + 2), [
        true,
        false,
        false,
      ]);
      assert.deepEqual(await store.reclaimExpired(T0 + LEASE_MS + 1), []);
      assert.deepEqual(await store.reclaimExpired(newDeadline + 1), [
        { token: la!.token, taskId: a, worker: 'w1' },
      ]);
      assert.deepEqual(await store.extend([la!.token], newDeadline * 2, newDeadline + 1), [false]);
    });

    test('an expired unit of a multi-unit task is leased again', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2 }));
      const l1 = await claimOne(store, T0, 'w1');
      await claimOne(store, T0 + 100, 'w2');
      const expired = await store.reclaimExpired(T0 + LEASE_MS + 1);
      assert.deepEqual(expired, [{ token: l1.token, taskId: id, worker: 'w1' }]);
      const task = await mustGet(store, id!);
      assert.equal(task.status, 'processing');
      assert.equal(task.unitsLeased, 1);
      assert.equal((await claimOne(store, T0 + LEASE_MS + 1, 'w3')).attempt, 3);
    });

    test('reclaimExpired takes back several expired units of one task', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const l3 = await claimOne(store, T0 + 100, 'w3');
      const expired = await store.reclaimExpired(T0 + LEASE_MS + 1);
      assert.deepEqual(
        [...expired].sort((a, b) => a.token - b.token),
        [
          { token: l1.token, taskId: id, worker: 'w1' },
          { token: l2.token, taskId: id, worker: 'w2' },
        ],
      );
      let task = await mustGet(store, id!);
      assert.equal(task.status, 'processing', 'a unit is still leased');
      assert.equal(task.unitsLeased, 1);
      assert.equal((await claimOne(store, T0 + LEASE_MS + 1, 'w4')).attempt, 4);
      assert.equal((await claimOne(store, T0 + LEASE_MS + 1, 'w5')).attempt, 5);
      assert.deepEqual(await claim(store, T0 + LEASE_MS + 1), []);
      const all = await store.reclaimExpired(T0 + 10 * LEASE_MS);
      assert.equal(all.length, 3);
      assert.ok(all.some((e) => e.token === l3.token));
      task = await mustGet(store, id!);
      assert.equal(task.status, 'enqueued');
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.failures, 0);
    });

    test('releaseAll releases every active lease', async (store, t) => {
      if (!store.capabilities.exclusive) {
        t.skip('needs capabilities.exclusive');
        return;
      }
      const [a, b, c] = await submit(store, T0, newTask(), newTask({ reps: 2 }), newTask());
      await claim(store, T0, { limit: 3 }); // a, b, c
      await claim(store, T0, { limit: 3 }); // b's second unit
      const [lc] = await claim(store, T0, { limit: 3 });
      assert.equal(lc, undefined);
      assert.equal(await store.releaseAll(T0 + 1), 4);
      for (const id of [a, b, c]) {
        const task = await mustGet(store, id!);
        assert.equal(task.status, 'enqueued');
        assert.equal(task.unitsLeased, 0);
        assert.equal(task.failures, 0);
      }
      assert.equal(await store.releaseAll(T0 + 2), 0);
      assert.deepEqual(ids(await claim(store, T0 + 2)), [a, b, c]);
      const log = (await store.get(b!, true))?.attemptLog;
      assert.deepEqual(
        log?.map((l) => l.state),
        ['released', 'released', 'active'],
      );
    });
  });

  describe('nextRunAt', () => {
    test('is the earliest future run-at of a waiting task', async (store) => {
      assert.equal(await store.nextRunAt(T0), undefined);
      const [a, b, c] = await submit(store, T0, newTask(), newTask(), newTask());
      assert.equal(await store.nextRunAt(T0), undefined, 'runnable now is not in the future');
      // Runnable from their submit whatever the clock says (here: set back by 1 ms).
      assert.equal(await store.nextRunAt(T0 - 1), undefined);
      const leases = await claim(store, T0 - 1, { limit: 3 });
      assert.deepEqual(ids(leases), [a, b, c]);
      await write(store, T0 + 1, {
        failures: [
          { token: leases[0]!.token, error: 'x', retryAt: T0 + 300 },
          { token: leases[1]!.token, error: 'x', retryAt: T0 + 200 },
        ],
      });
      assert.equal(await store.nextRunAt(T0 + 1), T0 + 200);
      assert.equal(await store.nextRunAt(T0 + 200), T0 + 300);
      assert.equal(await store.nextRunAt(T0 + 300), undefined);
      assert.deepEqual(ids(await claim(store, T0 + 250)), [b]);
      assert.equal(await store.nextRunAt(T0 + 250), T0 + 300);
    });
  });

  describe('attempt log', () => {
    test('lists every lease of the task in attempt order', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 5 }));
      const l1 = await claimOne(store, T0 + 1, 'w1');
      await fail(store, T0 + 2, l1.token, 'boom', T0 + 3);
      const l2 = await claimOne(store, T0 + 3, 'w2');
      await release(store, T0 + 4, l2.token);
      const l3 = await claimOne(store, T0 + 5, 'w3');
      await store.reclaimExpired(T0 + 5 + LEASE_MS + 1);
      const l4 = await claimOne(store, T0 + 6 + LEASE_MS, 'w4');
      await complete(store, T0 + 7 + LEASE_MS, l4.token, 'ok');
      const plain = await store.get(id!);
      assert.ok(plain);
      assert.equal('attemptLog' in plain, false, 'no log unless asked');

      const task = await store.get(id!, true);
      assert.ok(task);
      assert.equal(task.status, 'done');
      assert.equal(task.attempts, 4);
      assert.equal(task.failures, 1);
      assert.equal(task.startedAt, T0 + 1);
      assert.deepEqual(task.attemptLog, [
        {
          token: l1.token,
          taskId: id,
          n: 1,
          worker: 'w1',
          state: 'failed',
          deadline: T0 + 1 + LEASE_MS,
          startedAt: T0 + 1,
          endedAt: T0 + 2,
          units: null,
          error: 'boom',
        },
        {
          token: l2.token,
          taskId: id,
          n: 2,
          worker: 'w2',
          state: 'released',
          deadline: T0 + 3 + LEASE_MS,
          startedAt: T0 + 3,
          endedAt: T0 + 4,
          units: null,
          error: null,
        },
        {
          token: l3.token,
          taskId: id,
          n: 3,
          worker: 'w3',
          state: 'expired',
          deadline: T0 + 5 + LEASE_MS,
          startedAt: T0 + 5,
          endedAt: T0 + 5 + LEASE_MS + 1,
          units: null,
          error: null,
        },
        {
          token: l4.token,
          taskId: id,
          n: 4,
          worker: 'w4',
          state: 'done',
          deadline: T0 + 6 + 2 * LEASE_MS,
          startedAt: T0 + 6 + LEASE_MS,
          endedAt: T0 + 7 + LEASE_MS,
          units: 1,
          error: null,
        },
      ]);
      const { attemptLog: _, retries: __, ...withoutLog } = task;
      assert.deepEqual(await store.get(id!), withoutLog);
    });

    test('an active lease shows in the log with no end', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0, 'w9');
      assert.deepEqual((await store.get(id!, true))?.attemptLog, [
        {
          token: lease.token,
          taskId: id,
          n: 1,
          worker: 'w9',
          state: 'active',
          deadline: T0 + LEASE_MS,
          startedAt: T0,
          endedAt: null,
          units: null,
          error: null,
        },
      ]);
    });
  });
}
