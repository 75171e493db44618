/**
 * The Store contract, part: what an operator does: cancel a running task (its leases are
 * revoked, a late report is stale), retry a finished one (a fresh budget, the history
 * kept), attempt timeouts carried by the lease, and paused types.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { passLengths } from '../../../src/store/retention.ts';
import { KEY_HOLD_MS } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  claimOne,
  complete,
  fail,
  mustGet,
  newTask,
  submit,
  T0,
  write,
} from './helpers.ts';

export function operatorContract(test: ContractTest): void {
  describe('cancel of a running task', () => {
    test('ends its leases as canceled; a late report changes nothing', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0);
      const [out] = (await write(store, T0 + 5, { cancels: [id!] })).cancels;
      assert.ok(out?.ok);
      assert.deepEqual(out.revoked, [lease.token]);
      assert.equal(out.task.status, 'canceled');
      assert.equal(out.task.unitsLeased, 0);
      assert.equal(out.task.finishedAt, T0 + 5);
      assert.equal(await complete(store, T0 + 6, lease.token, 'late'), undefined);
      assert.equal(await fail(store, T0 + 6, lease.token, 'late', T0 + 7), undefined);
      assert.deepEqual(await store.extend([lease.token], T0 + 99_999, T0 + 6), [false]);
      const task = await store.get(id!, true);
      assert.equal(task?.status, 'canceled');
      assert.equal(task?.result, undefined);
      assert.deepEqual(
        task?.attemptLog?.map((a) => [a.n, a.state, a.endedAt]),
        [[1, 'canceled', T0 + 5]],
      );
      assert.deepEqual(await claim(store, T0 + 10), []);
      assert.deepEqual(await store.reclaimExpired(T0 + 10_000_000), []);
    });

    test('revokes every lease of a multi-unit task', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3 }));
      const a = await claimOne(store, T0, 'wa');
      const b = await claimOne(store, T0, 'wb');
      await complete(store, T0 + 1, a.token, null);
      const [out] = (await write(store, T0 + 2, { cancels: [id!] })).cancels;
      assert.ok(out?.ok);
      assert.deepEqual(out.revoked, [b.token]);
      assert.equal(out.task.unitsDone, 1);
      assert.equal((await mustGet(store, id!)).status, 'canceled');
      assert.deepEqual(await claim(store, T0 + 3), []);
    });

    test('a finished task cannot be canceled', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0);
      await complete(store, T0 + 1, lease.token, 'ok');
      const [out] = (await write(store, T0 + 2, { cancels: [id!] })).cancels;
      assert.deepEqual(out, { ok: false, reason: 'not_cancelable', status: 'done' });
    });
  });

  describe('retry', () => {
    test('puts a failed task back with a fresh budget, keeping its history', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 2 }));
      await fail(store, T0 + 1, (await claimOne(store, T0)).token, 'one', T0 + 2);
      await fail(store, T0 + 3, (await claimOne(store, T0 + 2)).token, 'two', T0 + 4);
      assert.equal((await mustGet(store, id!)).status, 'failed');
      const [out] = await store.operator.retry([id!], T0 + 10, 'ops@127.0.0.1');
      assert.ok(out?.ok);
      assert.equal(out.was, 'failed');
      assert.equal(out.task.status, 'enqueued');
      assert.equal(out.task.failures, 0);
      assert.equal(out.task.attempts, 2);
      assert.equal(out.task.finishedAt, null);
      assert.equal(out.task.runAt, T0 + 10);
      // A fresh budget: one more failure does not fail it for good.
      const third = await claimOne(store, T0 + 10);
      assert.equal(third.taskId, id);
      assert.equal(third.attempt, 3);
      const after = await fail(store, T0 + 11, third.token, 'three', T0 + 12);
      assert.equal(after?.status, 'enqueued');
      const task = await store.get(id!, true);
      assert.deepEqual(
        task?.attemptLog?.map((a) => [a.n, a.state, a.error]),
        [
          [1, 'failed', 'one'],
          [2, 'failed', 'two'],
          [3, 'failed', 'three'],
        ],
      );
      assert.deepEqual(task?.retries, [{ at: T0 + 10, by: 'ops@127.0.0.1', was: 'failed' }]);
    });

    test('retries a canceled task; refuses the others', async (store) => {
      const [canceled, waiting, running] = await submit(
        store,
        T0,
        newTask(),
        newTask(),
        newTask({ type: 'swap' }),
      );
      await write(store, T0 + 1, { cancels: [canceled!] });
      await claim(store, T0 + 1, { types: ['swap'] });
      const out = await store.operator.retry([canceled!, waiting!, running!, 999_999], T0 + 2, 'x');
      assert.ok(out[0]?.ok);
      assert.equal(out[0].was, 'canceled');
      assert.deepEqual(out.slice(1), [
        { ok: false, reason: 'not_retryable', status: 'enqueued' },
        { ok: false, reason: 'not_retryable', status: 'processing' },
        { ok: false, reason: 'not_found' },
      ]);
      const leases = await claim(store, T0 + 3);
      assert.deepEqual(
        leases.map((l) => l.taskId),
        [canceled, waiting],
      );
    });
  });

  describe('retry and retention', () => {
    test('a retried task that finished is pruned with its retry log', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 1 }));
      await fail(store, T0 + 1, (await claimOne(store, T0)).token, 'boom', T0 + 2);
      assert.ok((await store.operator.retry([id!], T0 + 3, 'ops'))[0]?.ok);
      await complete(store, T0 + 4, (await claimOne(store, T0 + 4)).token, 'ok');
      const policy = { done: 1000, failed: 1000, canceled: 1000 };
      const now = T0 + 4 + KEY_HOLD_MS + 10_000;
      const pruned: number[] = [];
      for (const length of passLengths(policy, KEY_HOLD_MS)) {
        const out = await store.prune({
          now,
          policy,
          keyHoldMs: KEY_HOLD_MS,
          before: now - length,
          after: undefined,
          limit: 100,
        });
        pruned.push(...out.tasks.map((t) => t.id));
      }
      assert.deepEqual(pruned, [id]);
      assert.equal(await store.get(id!, true), undefined);
    });
  });

  describe('timeouts', () => {
    test('a lease carries the task timeout', async (store) => {
      await submit(store, T0, newTask({ timeoutMs: 1500 }), newTask());
      const [a, b] = await claim(store, T0, { limit: 2 });
      assert.equal(a?.timeoutMs, 1500);
      assert.equal(b?.timeoutMs, null);
    });

    test('a timed-out attempt counts as a failed one and retries apply', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 2, timeoutMs: 10 }));
      const lease = await claimOne(store, T0);
      const [after] = (
        await write(store, T0 + 10, {
          failures: [{ token: lease.token, error: 'timeout', retryAt: T0 + 20, reason: 'timeout' }],
        })
      ).failures;
      assert.equal(after?.status, 'enqueued');
      assert.equal(await store.nextRunAt(T0 + 10), T0 + 20);
      const again = await claimOne(store, T0 + 20);
      assert.equal(again.attempt, 2);
      assert.equal(again.timeoutMs, 10);
      const log = (await store.get(id!, true))?.attemptLog;
      assert.deepEqual(
        log?.map((x) => [x.state, x.error]),
        [
          ['failed', 'timeout'],
          ['active', null],
        ],
      );
    });
  });

  describe('paused types', () => {
    test('are stored, listed and resumed', async (store) => {
      assert.deepEqual(await store.operator.pausedTypes(), []);
      assert.equal(await store.operator.setPaused('flip', true, T0), true);
      assert.equal(await store.operator.setPaused('flip', true, T0 + 1), false);
      assert.equal(await store.operator.setPaused('swap', true, T0 + 1), true);
      assert.deepEqual(await store.operator.pausedTypes(), ['flip', 'swap']);
      assert.equal(await store.operator.setPaused('flip', false, T0 + 2), true);
      assert.equal(await store.operator.setPaused('flip', false, T0 + 2), false);
      assert.deepEqual(await store.operator.pausedTypes(), ['swap']);
    });
  });
}
