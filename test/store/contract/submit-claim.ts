/** The Store contract, part: submitting, reading and claiming tasks; the counts by status. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Json } from '../../../src/model/tasks.ts';
import { emptyBatch, type Lease } from '../../../src/store/types.ts';
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
  submit,
  T0,
  write,
} from './helpers.ts';

export function submitClaimContract(test: ContractTest): void {
  describe('submit and get', () => {
    test('returns ascending ids in batch order and stores every field', async (store) => {
      const ids = await submit(
        store,
        T0,
        newTask({ data: { a: [1, 'x', null] } }),
        newTask({ type: 'swap', data: 'text', reps: 4, maxAttempts: 7 }),
        newTask({ data: null }),
      );
      assert.equal(ids.length, 3);
      assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, `ascending: ${ids}`);
      const later = await submit(store, T0 + 1, newTask());
      assert.ok(later[0]! > ids[2]!);

      assert.deepEqual(await store.get(ids[1]!), {
        id: ids[1],
        type: 'swap',
        data: 'text',
        status: 'enqueued',
        result: undefined,
        error: null,
        reps: 4,
        unitsDone: 0,
        unitsLeased: 0,
        attempts: 0,
        failures: 0,
        maxAttempts: 7,
        progress: null,
        runAt: T0,
        createdAt: T0,
        startedAt: null,
        finishedAt: null,
        updatedAt: T0,
        priority: 0,
        key: null,
        schedule: null,
      });
      assert.deepEqual((await mustGet(store, ids[0]!)).data, { a: [1, 'x', null] });
      assert.equal((await mustGet(store, ids[2]!)).data, null);
    });

    test('round-trips any JSON data', async (store) => {
      const values: Json[] = [0, -1.5, true, false, '', 'é ✓ "q"', [], {}, { a: { b: [{}] } }];
      const ids = await submit(store, T0, ...values.map((data) => newTask({ data })));
      for (const [i, id] of ids.entries()) {
        assert.deepEqual((await mustGet(store, id)).data, values[i]);
      }
    });

    test('keeps the key order of objects in data and results', async (store) => {
      const data = { z: 1, a: { y: 2, b: [{ k: 1, c: 2 }] }, m: 'x' };
      const result = { zeta: true, alpha: null, mid: { b: 1, a: 2 } };
      const [id] = await submit(store, T0, newTask({ data }));
      const lease = await claimOne(store, T0);
      assert.equal(JSON.stringify(lease.data), JSON.stringify(data));
      const done = await complete(store, T0 + 1, lease.token, result);
      assert.equal(JSON.stringify(done?.result), JSON.stringify(result));
      const task = await mustGet(store, id!);
      assert.equal(JSON.stringify(task.data), JSON.stringify(data));
      assert.equal(JSON.stringify(task.result), JSON.stringify(result));
    });

    test('get of a missing id is undefined', async (store) => {
      assert.equal(await store.get(12345), undefined);
      assert.equal(await store.get(12345, true), undefined);
    });

    test('an empty batch changes nothing and returns empty outcomes', async (store) => {
      assert.deepEqual(await store.write(emptyBatch(T0)), {
        ids: [],
        duplicates: [],
        completions: [],
        failures: [],
        releases: [],
        cancels: [],
        progress: [],
        claims: [],
      });
      assert.deepEqual(await store.counts(), {
        scheduled: 0,
        enqueued: 0,
        processing: 0,
        done: 0,
        failed: 0,
        canceled: 0,
      });
    });
  });

  describe('claim', () => {
    test('leases oldest first, up to the limit, each task once', async (store) => {
      const a = await submit(store, T0, newTask(), newTask(), newTask());
      const b = await submit(store, T0 + 1, newTask(), newTask());
      const first = await claim(store, T0 + 2, { limit: 2 });
      assert.deepEqual(ids(first), a.slice(0, 2));
      const second = await claim(store, T0 + 2, { limit: 10 });
      assert.deepEqual(ids(second), [a[2], ...b]);
      assert.deepEqual(await claim(store, T0 + 2), []);
      const tokens = [...first, ...second].map((l) => l.token);
      assert.equal(new Set(tokens).size, 5, 'tokens are distinct');
    });

    test('returns the lease and marks the task processing', async (store) => {
      const [id] = await submit(store, T0, newTask({ data: { x: 1 }, reps: 1 }));
      const [lease] = await claim(store, T0 + 5, { worker: 'w7', leaseMs: 1000 });
      assert.ok(lease);
      assert.equal(typeof lease.token, 'number');
      assert.deepEqual(lease, {
        token: lease.token,
        taskId: id,
        type: 'flip',
        data: { x: 1 },
        reps: 1,
        attempt: 1,
        deadline: T0 + 5 + 1000,
        priority: 0,
        key: null,
        schedule: null,
        timeoutMs: null,
        readyAt: T0,
      });
      const task = await mustGet(store, id!);
      assert.equal(task.status, 'processing');
      assert.equal(task.attempts, 1);
      assert.equal(task.unitsLeased, 1);
      assert.equal(task.startedAt, T0 + 5);
      assert.equal(task.updatedAt, T0 + 5);
      assert.equal(task.failures, 0);
    });

    test('leases only the requested types, merged in id order', async (store) => {
      const [f1, s1, x1, f2, s2] = await submit(
        store,
        T0,
        newTask({ type: 'flip' }),
        newTask({ type: 'swap' }),
        newTask({ type: 'other' }),
        newTask({ type: 'flip' }),
        newTask({ type: 'swap' }),
      );
      assert.deepEqual(await claim(store, T0, { types: ['nope'] }), []);
      assert.deepEqual(await claim(store, T0, { types: [] }), []);
      const leases = await claim(store, T0, { types: ['swap', 'flip'], limit: 3 });
      assert.deepEqual(ids(leases), [f1, s1, f2]);
      assert.deepEqual(
        leases.map((l) => l.type),
        ['flip', 'swap', 'flip'],
      );
      assert.deepEqual(ids(await claim(store, T0, { types: ['swap', 'flip', 'swap'] })), [s2]);
      assert.equal((await mustGet(store, x1!)).status, 'enqueued');
    });

    test("each lease's token is its own task's attempt, across types in one claim", async (store) => {
      const tasks = [newTask(), newTask({ type: 'swap' }), newTask(), newTask({ type: 'swap' })];
      await submit(store, T0, ...tasks);
      const leases = await claim(store, T0, { types: ['flip', 'swap'], limit: 4 });
      assert.equal(leases.length, 4);
      for (const lease of leases) {
        const task = await store.get(lease.taskId, true);
        assert.deepEqual(
          task?.attemptLog?.map((a) => a.token),
          [lease.token],
          `task ${lease.taskId}`,
        );
      }
    });

    test('claims of every size from 1 to 6 lease the oldest tasks with their own tokens', async (store) => {
      // A store may lease a few tasks one by one and many with one statement: both ways
      // must give the same leases.
      const ids = await submit(store, T0, ...Array.from({ length: 21 }, () => newTask()));
      const leased: Lease[] = [];
      for (let size = 1; size <= 6; size++) {
        const leases = await claim(store, T0, { limit: size });
        assert.deepEqual(
          leases.map((l) => l.taskId),
          ids.slice(leased.length, leased.length + size),
          `claim of ${size}`,
        );
        leased.push(...leases);
      }
      const tokens = leased.map((l) => l.token);
      assert.deepEqual(
        [...tokens].sort((a, b) => a - b),
        tokens,
        'tokens ascend',
      );
      for (const lease of leased) {
        const task = await store.get(lease.taskId, true);
        assert.equal(task?.status, 'processing');
        assert.deepEqual(
          task?.attemptLog?.map((a) => [a.token, a.n, a.deadline]),
          [[lease.token, 1, T0 + LEASE_MS]],
          `task ${lease.taskId}`,
        );
      }
      // A second attempt gets the next attempt number, by either way.
      await write(store, T0, { releases: [leased[0]!.token, leased[1]!.token] });
      await write(store, T0, { releases: leased.slice(2, 6).map((l) => l.token) });
      const one = await claim(store, T0, { limit: 1 });
      const four = await claim(store, T0, { limit: 4 });
      for (const lease of [...one, ...four]) assert.equal(lease.attempt, 2);
      const again = await store.get(leased[0]!.taskId, true);
      assert.deepEqual(
        again?.attemptLog?.map((a) => [a.token, a.n, a.state]),
        [
          [leased[0]!.token, 1, 'released'],
          [one[0]!.token, 2, 'active'],
        ],
      );
    });

    test('leases a new task whatever the clock, a retry not before its run-at', async (store) => {
      const [id] = await submit(store, T0, newTask());
      // A clock set back after the submit does not hold a task meant to run at once.
      const [first] = await claim(store, T0 - 1);
      assert.equal(first?.taskId, id);
      await fail(store, T0 + 1, first!.token, 'x', T0 + 100);
      assert.deepEqual(await claim(store, T0 + 99), []);
      assert.deepEqual(ids(await claim(store, T0 + 100)), [id]);
    });

    test('a multi-unit task is leased once per unit in flight, never more', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3 }));
      const [other] = await submit(store, T0, newTask());
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const l3 = await claimOne(store, T0, 'w3');
      assert.deepEqual([l1.taskId, l2.taskId, l3.taskId], [id, id, id]);
      assert.deepEqual([l1.attempt, l2.attempt, l3.attempt], [1, 2, 3]);
      assert.ok(l1.reps === 3 && l3.reps === 3);
      assert.deepEqual(ids(await claim(store, T0, { worker: 'w4' })), [other]);
      assert.deepEqual(await claim(store, T0, { worker: 'w4' }), []);
      const task = await mustGet(store, id!);
      assert.equal(task.unitsLeased, 3);
      assert.equal(task.attempts, 3);
      assert.equal(task.status, 'processing');
    });

    test('one call leases a multi-unit task only once', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 5 }));
      assert.deepEqual(ids(await claim(store, T0, { limit: 10 })), [id]);
      assert.deepEqual(ids(await claim(store, T0, { limit: 10 })), [id]);
      assert.equal((await mustGet(store, id!)).unitsLeased, 2);
    });

    test('never leases done, failed or canceled tasks', async (store) => {
      const [done, failed, canceled] = await submit(
        store,
        T0,
        newTask(),
        newTask({ maxAttempts: 1 }),
        newTask(),
      );
      const [l1, l2] = await claim(store, T0, { limit: 2 });
      await write(store, T0 + 1, {
        completions: [{ token: l1!.token, result: 1, units: 1 }],
        failures: [{ token: l2!.token, error: 'boom', retryAt: T0 + 1 }],
        cancels: [canceled!],
      });
      assert.equal((await mustGet(store, done!)).status, 'done');
      assert.equal((await mustGet(store, failed!)).status, 'failed');
      assert.equal((await mustGet(store, canceled!)).status, 'canceled');
      assert.deepEqual(await claim(store, T0 + 1_000_000), []);
    });
    test('leaves out the excluded task and still fills the limit', async (store) => {
      const [a, b, c] = await submit(store, T0, newTask(), newTask(), newTask());
      const req = { worker: 'w1', types: ['flip'], now: T0, leaseMs: LEASE_MS };
      assert.deepEqual(ids(await store.claim({ ...req, limit: 2, excludeTaskId: a })), [b, c]);
      assert.deepEqual(ids(await store.claim({ ...req, limit: 2, excludeTaskId: a })), []);
      assert.deepEqual(ids(await store.claim({ ...req, limit: 2, excludeTaskId: b })), [a]);
    });
  });

  describe('counts', () => {
    test('counts tasks in every status', async (store) => {
      const submitted = await submit(
        store,
        T0,
        ...Array.from({ length: 6 }, () => newTask({ maxAttempts: 1 })),
      );
      const [l1, l2] = await claim(store, T0, { limit: 3 });
      await write(store, T0 + 1, {
        completions: [{ token: l1!.token, result: 1, units: 1 }],
        failures: [{ token: l2!.token, error: 'e', retryAt: T0 }],
        cancels: [submitted[3]!],
      });
      assert.deepEqual(await store.counts(), {
        scheduled: 0,
        enqueued: 2,
        processing: 1,
        done: 1,
        failed: 1,
        canceled: 1,
      });
    });
  });
}
