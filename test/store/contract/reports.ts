/**
 * The Store contract, part: what a worker reports ends its lease: completions, failures and
 * their retries, releases, and reports on a task that another unit already finished.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { emptyBatch, type TaskRecord, type TaskState } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  claimOne,
  complete,
  fail,
  ids,
  mustGet,
  newTask,
  release,
  submit,
  T0,
  write,
} from './helpers.ts';

export function reportsContract(test: ContractTest): void {
  describe('completion', () => {
    test('finishes the task with its result; the token is then stale', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0 + 1);
      const task = await complete(store, T0 + 2, lease.token, { answer: 42 });
      assert.ok(task);
      assert.equal(task.id, id);
      assert.equal(task.status, 'done');
      assert.deepEqual(task.result, { answer: 42 });
      assert.equal(task.progress, 1);
      assert.equal(task.unitsDone, 1);
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.finishedAt, T0 + 2);
      assert.equal(task.updatedAt, T0 + 2);
      assert.equal(task.startedAt, T0 + 1);
      assert.deepEqual(await mustGet(store, id!), task);

      assert.equal(await complete(store, T0 + 3, lease.token, 'again'), undefined);
      assert.equal(await fail(store, T0 + 3, lease.token, 'late', T0 + 3), undefined);
      assert.equal(await release(store, T0 + 3, lease.token), undefined);
      assert.deepEqual(await mustGet(store, id!), task, 'stale reports change nothing');
    });

    test('stores an undefined result as absent and null as null', async (store) => {
      const [a, b] = await submit(store, T0, newTask(), newTask());
      const [la, lb] = await claim(store, T0);
      const out = await write(store, T0, {
        completions: [
          { token: la!.token, result: undefined, units: 1 },
          { token: lb!.token, result: null, units: 1 },
        ],
      });
      assert.equal(out.completions[0]?.result, undefined);
      assert.equal(out.completions[1]?.result, null);
      assert.equal((await mustGet(store, a!)).result, undefined);
      assert.equal((await mustGet(store, b!)).result, null);
    });

    test('the state a report returns without `full` is what the store then holds', async (store) => {
      const [plain, retried, multi, zero] = await submit(
        store,
        T0,
        newTask(),
        newTask(),
        newTask({ reps: 2 }),
        newTask(),
      );
      const first = await claim(store, T0 + 1, { limit: 3 });
      assert.deepEqual(ids(first), [plain, retried, multi]);
      await fail(store, T0 + 2, first[1]!.token, 'boom', T0 + 2);
      const [again, second, zeroLease] = await claim(store, T0 + 3, { limit: 3 });
      assert.deepEqual(ids([again!, second!, zeroLease!]), [retried, multi, zero]);
      const picked = (t: TaskState | TaskRecord | undefined) =>
        t && {
          id: t.id,
          type: t.type,
          status: t.status,
          reps: t.reps,
          unitsDone: t.unitsDone,
          unitsLeased: t.unitsLeased,
          error: t.error,
        };
      const out = await store.write({
        ...emptyBatch(T0 + 4),
        full: () => false,
        completions: [
          { token: first[0]!.token, result: 'a', units: 1 },
          { token: again!.token, result: 'b', units: 1 },
          { token: first[2]!.token, result: 'c', units: 1 },
          { token: zeroLease!.token, result: 'd', units: 0 },
          { token: first[0]!.token, result: 'stale', units: 1 },
        ],
      });
      const stored = await Promise.all([plain, retried, multi, zero].map((id) => store.get(id!)));
      assert.deepEqual(out.completions.map(picked), [...stored.map(picked), undefined]);
      assert.deepEqual(
        stored.map((t) => [t?.status, t?.error]),
        [
          ['done', null],
          ['done', 'boom'],
          ['processing', null],
          // 0 units and nothing else leased: back in the queue, as after a release.
          ['enqueued', null],
        ],
      );
      // The multi-unit task's second unit is still out; its lease still completes it.
      const last = await write(store, T0 + 5, {
        full: () => false,
        completions: [{ token: second!.token, result: 'e', units: 1 }],
      });
      assert.deepEqual(picked(last.completions[0]), picked(await store.get(multi!)));
      assert.equal(last.completions[0]?.status, 'done');
      // The task reported with 0 units is leased again, and is processing again.
      assert.deepEqual(ids(await claim(store, T0 + 6, { limit: 5 })), [zero]);
      assert.equal((await store.get(zero!))?.status, 'processing');
    });

    test('an unknown token is stale', async (store) => {
      await submit(store, T0, newTask());
      assert.equal(await complete(store, T0, 987654, 1), undefined);
      assert.deepEqual(await store.counts(), {
        scheduled: 0,
        enqueued: 1,
        processing: 0,
        done: 0,
        failed: 0,
        canceled: 0,
      });
    });

    test('a partial completion leaves the task processing and leasable', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3 }));
      const l1 = await claimOne(store, T0);
      const after = await complete(store, T0 + 1, l1.token, 'part');
      assert.ok(after);
      assert.equal(after.status, 'processing');
      assert.equal(after.unitsDone, 1);
      assert.equal(after.unitsLeased, 0);
      assert.equal(after.result, undefined);
      assert.equal(after.finishedAt, null);
      const l2 = await claimOne(store, T0 + 2);
      assert.equal(l2.taskId, id);
      assert.equal(l2.attempt, 2);
    });

    test('a multi-unit task is done when its units are, with that result', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const l3 = await claimOne(store, T0, 'w3');
      assert.equal((await complete(store, T0 + 1, l2.token, 'r2'))?.status, 'processing');
      // Units done plus units leased cover reps: still nothing to lease.
      assert.deepEqual(await claim(store, T0 + 1), []);
      assert.equal((await complete(store, T0 + 2, l1.token, 'r1'))?.status, 'processing');
      const done = await complete(store, T0 + 3, l3.token, 'r3');
      assert.ok(done);
      assert.equal(done.status, 'done');
      assert.equal(done.result, 'r3');
      assert.equal(done.unitsDone, 3);
      assert.equal(done.finishedAt, T0 + 3);
      assert.equal((await mustGet(store, id!)).status, 'done');
    });

    test('a completion after the task is done only counts units', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const first = await complete(store, T0 + 1, l1.token, 'first', 2);
      assert.equal(first?.status, 'done');
      assert.equal(first?.unitsDone, 2);
      assert.equal(first?.unitsLeased, 1);
      const second = await complete(store, T0 + 2, l2.token, 'second', 1);
      assert.ok(second);
      assert.equal(second.status, 'done');
      assert.equal(second.result, 'first');
      assert.equal(second.unitsDone, 3);
      assert.equal(second.unitsLeased, 0);
      assert.equal(second.finishedAt, T0 + 1);
      assert.deepEqual(await claim(store, T0 + 3), []);
      assert.equal((await mustGet(store, id!)).result, 'first');
    });
  });

  describe('failure', () => {
    test('with attempts left, the task retries at retryAt', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 3 }));
      const l1 = await claimOne(store, T0);
      const task = await fail(store, T0 + 10, l1.token, 'boom', T0 + 500);
      assert.ok(task);
      assert.equal(task.status, 'enqueued');
      assert.equal(task.error, 'boom');
      assert.equal(task.failures, 1);
      assert.equal(task.attempts, 1);
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.runAt, T0 + 500);
      assert.equal(task.finishedAt, null);
      assert.equal(await store.nextRunAt(T0 + 10), T0 + 500);
      assert.deepEqual(await claim(store, T0 + 499), []);
      const l2 = await claimOne(store, T0 + 500);
      assert.equal(l2.taskId, id);
      assert.equal(l2.attempt, 2);
      assert.notEqual(l2.token, l1.token);
      assert.equal(await store.nextRunAt(T0 + 500), undefined);
    });

    test('reaching maxAttempts fails the task for good', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 2 }));
      const l1 = await claimOne(store, T0);
      assert.equal((await fail(store, T0 + 1, l1.token, 'first', T0 + 2))?.status, 'enqueued');
      const l2 = await claimOne(store, T0 + 2);
      const task = await fail(store, T0 + 3, l2.token, 'second', T0 + 4);
      assert.ok(task);
      assert.equal(task.status, 'failed');
      assert.equal(task.error, 'second');
      assert.equal(task.failures, 2);
      assert.equal(task.attempts, 2);
      assert.equal(task.finishedAt, T0 + 3);
      assert.equal(task.result, undefined);
      assert.deepEqual(await claim(store, T0 + 1_000_000), []);
      assert.equal(await store.nextRunAt(T0), undefined);
      assert.deepEqual(await mustGet(store, id!), task);
    });

    test('a stale token is ignored', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0);
      await complete(store, T0 + 1, lease.token, 'ok');
      const before = await mustGet(store, id!);
      assert.equal(await fail(store, T0 + 2, lease.token, 'late', T0 + 3), undefined);
      assert.equal(await fail(store, T0 + 2, 424242, 'unknown', T0 + 3), undefined);
      assert.deepEqual(await mustGet(store, id!), before);
    });

    test('a multi-unit task with work done stays processing', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2, maxAttempts: 5 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      await complete(store, T0 + 1, l1.token, 'one');
      const task = await fail(store, T0 + 2, l2.token, 'oops', T0 + 50);
      assert.ok(task);
      assert.equal(task.status, 'processing');
      assert.equal(task.unitsDone, 1);
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.failures, 1);
      assert.equal(task.runAt, T0 + 50);
      assert.deepEqual(await claim(store, T0 + 49), []);
      const l3 = await claimOne(store, T0 + 50);
      assert.equal(l3.taskId, id);
      assert.equal((await complete(store, T0 + 51, l3.token, 'two'))?.status, 'done');
    });
  });

  describe('release', () => {
    test('gives the task back at once without counting a failure', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 1 }));
      const l1 = await claimOne(store, T0, 'w1');
      const task = await release(store, T0 + 5, l1.token);
      assert.ok(task);
      assert.equal(task.status, 'enqueued');
      assert.equal(task.failures, 0);
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.attempts, 1);
      assert.equal(task.error, null);
      assert.equal(task.updatedAt, T0 + 5);
      assert.equal(await release(store, T0 + 6, l1.token), undefined, 'stale');
      const l2 = await claimOne(store, T0 + 6, 'w2');
      assert.equal(l2.taskId, id);
      assert.equal(l2.attempt, 2);
      assert.equal(await complete(store, T0 + 7, l1.token, 'late'), undefined);
      assert.equal((await complete(store, T0 + 7, l2.token, 'ok'))?.status, 'done');
    });

    test('a released unit of a multi-unit task can be leased again', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2 }));
      const l1 = await claimOne(store, T0, 'w1');
      await claimOne(store, T0, 'w2');
      assert.deepEqual(await claim(store, T0), []);
      const task = await release(store, T0 + 1, l1.token);
      assert.equal(task?.status, 'processing', 'another unit is still leased');
      assert.equal(task?.unitsLeased, 1);
      assert.equal((await claimOne(store, T0 + 1, 'w3')).taskId, id);
    });
  });

  describe('reports on a task already finished by another unit', () => {
    test('a done task keeps its status, result, error and progress', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const done = await complete(store, T0 + 1, l1.token, 'all', 2);
      assert.equal(done?.status, 'done');
      const out = await write(store, T0 + 2, { progress: [{ token: l2.token, progress: 0.3 }] });
      assert.deepEqual(out.progress, [true], 'the lease is still active');
      const task = await fail(store, T0 + 3, l2.token, 'late failure', T0 + 100);
      assert.ok(task);
      assert.equal(task.status, 'done');
      assert.equal(task.result, 'all');
      assert.equal(task.error, null);
      assert.equal(task.progress, 1);
      assert.equal(task.failures, 1);
      assert.equal(task.unitsLeased, 0);
      assert.equal(task.finishedAt, T0 + 1);
      assert.equal(task.runAt, T0);
      assert.equal(await store.nextRunAt(T0 + 3), undefined);
      assert.deepEqual(await claim(store, T0 + 100), []);
      assert.deepEqual(await mustGet(store, id!), task);
    });

    test('a failed task stays failed whatever its other units report', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3, maxAttempts: 1 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const l3 = await claimOne(store, T0, 'w3');
      const failed = await fail(store, T0 + 1, l1.token, 'boom', T0 + 2);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.unitsLeased, 2);
      const released = await release(store, T0 + 2, l2.token);
      assert.equal(released?.status, 'failed');
      assert.equal(released?.unitsLeased, 1);
      assert.deepEqual(await claim(store, T0 + 10), [], 'a released unit of a failed task');
      const completed = await complete(store, T0 + 3, l3.token, 'late', 1);
      assert.ok(completed);
      assert.equal(completed.status, 'failed');
      assert.equal(completed.unitsDone, 1);
      assert.equal(completed.unitsLeased, 0);
      assert.equal(completed.result, undefined);
      assert.equal(completed.error, 'boom');
      assert.equal(completed.finishedAt, T0 + 1);
      assert.deepEqual(await claim(store, T0 + 10), []);
      assert.deepEqual(await mustGet(store, id!), completed);
    });
  });
}
