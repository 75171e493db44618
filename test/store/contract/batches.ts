/**
 * The Store contract, part: cancels, progress, and write batches that mix every kind of
 * write in one transaction.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Json } from '../../../src/model/tasks.ts';
import type { WriteOutcome } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  claimOne,
  complete,
  fail,
  ids,
  mustGet,
  newTask,
  submit,
  T0,
  write,
} from './helpers.ts';

export function batchesContract(test: ContractTest): void {
  describe('cancel', () => {
    test('cancels an enqueued task, with an outcome for every other case', async (store) => {
      const [leased, done] = await submit(store, T0, newTask(), newTask());
      const [, doneLease] = await claim(store, T0, { limit: 2 });
      await complete(store, T0, doneLease!.token, 'ok');
      const [fresh] = await submit(store, T0, newTask());

      const out = await write(store, T0 + 9, {
        cancels: [fresh!, fresh!, done!, 999999],
      });
      const first = out.cancels[0];
      assert.ok(first?.ok);
      assert.equal(first.task.id, fresh);
      assert.equal(first.task.status, 'canceled');
      assert.equal(first.task.finishedAt, T0 + 9);
      assert.equal(first.task.updatedAt, T0 + 9);
      assert.deepEqual(first.revoked, []);
      assert.equal((await mustGet(store, leased!)).status, 'processing');
      assert.deepEqual(out.cancels.slice(1), [
        { ok: false, reason: 'not_cancelable', status: 'canceled' },
        { ok: false, reason: 'not_cancelable', status: 'done' },
        { ok: false, reason: 'not_found' },
      ]);
      assert.deepEqual(await claim(store, T0 + 10), []);
      assert.equal((await mustGet(store, fresh!)).status, 'canceled');
    });

    test('a task waiting for a retry can be canceled', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0);
      await fail(store, T0, lease.token, 'boom', T0 + 100);
      const [out] = (await write(store, T0 + 1, { cancels: [id!] })).cancels;
      assert.equal(out?.ok, true);
      assert.equal(await store.nextRunAt(T0 + 1), undefined);
      assert.deepEqual(await claim(store, T0 + 100), []);
    });
  });

  describe('progress', () => {
    test('is recorded under an active lease only', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const lease = await claimOne(store, T0);
      const out = await write(store, T0 + 3, {
        progress: [
          { token: lease.token, progress: 0.25 },
          { token: 777777, progress: 0.5 },
        ],
      });
      assert.deepEqual(out.progress, [true, false]);
      const task = await mustGet(store, id!);
      assert.equal(task.progress, 0.25);
      assert.equal(task.updatedAt, T0 + 3);
      await complete(store, T0 + 4, lease.token, 'ok');
      const [late] = (
        await write(store, T0 + 5, { progress: [{ token: lease.token, progress: 0.5 }] })
      ).progress;
      assert.equal(late, false);
      assert.equal((await mustGet(store, id!)).progress, 1);
    });
  });

  describe('write batches', () => {
    test('applies every kind in order and reports outcomes in batch order', async (store) => {
      const [a, b, c, d] = await submit(store, T0, newTask(), newTask(), newTask(), newTask());
      const [la, lb, lc] = await claim(store, T0, { limit: 3 });
      const out: WriteOutcome = await write(store, T0 + 1, {
        submits: [newTask({ type: 'swap' }), newTask({ type: 'swap' })],
        completions: [
          { token: lb!.token, result: 'b', units: 1 },
          { token: 31337, result: 'x', units: 1 },
        ],
        failures: [{ token: la!.token, error: 'a failed', retryAt: T0 + 2 }],
        releases: [lc!.token, lb!.token],
        cancels: [d!, a!],
        progress: [{ token: lc!.token, progress: 0.5 }],
      });
      assert.equal(out.ids.length, 2);
      assert.ok(out.ids[0]! > d! && out.ids[1]! > out.ids[0]!);
      assert.deepEqual(
        out.completions.map((t) => t?.id),
        [b, undefined],
      );
      assert.equal(out.failures[0]?.id, a);
      assert.equal(out.failures[0]?.status, 'enqueued');
      // The completion of lb came first, so its release is stale.
      assert.deepEqual(
        out.releases.map((t) => t?.id),
        [c, undefined],
      );
      assert.equal(out.cancels[0]?.ok, true);
      // a failed (enqueued, waiting for its retry) before the cancels ran.
      assert.equal(out.cancels[1]?.ok, true);
      // Progress comes last, after lc's release.
      assert.deepEqual(out.progress, [false]);
      assert.deepEqual(await store.counts(), {
        scheduled: 0,
        enqueued: 3,
        processing: 0,
        done: 1,
        failed: 0,
        canceled: 2,
      });
    });

    test('a batch that throws keeps nothing and rejects', async (store) => {
      const [a, b] = await submit(store, T0, newTask(), newTask());
      const [la, lb] = await claim(store, T0, { limit: 2 });
      const before = await store.counts();
      await assert.rejects(
        write(store, T0 + 1, {
          submits: [newTask(), newTask()],
          completions: [
            { token: la!.token, result: 'fine', units: 1 },
            // BigInt cannot be serialized to JSON: this completion throws.
            { token: lb!.token, result: 1n as unknown as Json, units: 1 },
          ],
        }),
      );
      assert.deepEqual(await store.counts(), before);
      const taskA = await mustGet(store, a!);
      assert.equal(taskA.status, 'processing');
      assert.equal(taskA.unitsLeased, 1);
      assert.equal(taskA.result, undefined);
      // The leases are still active: the same reports go through once fixed.
      const out = await write(store, T0 + 2, {
        submits: [newTask()],
        completions: [
          { token: la!.token, result: 'fine', units: 1 },
          { token: lb!.token, result: 'also', units: 1 },
        ],
      });
      assert.deepEqual(
        out.completions.map((t) => t?.status),
        ['done', 'done'],
      );
      assert.equal((await mustGet(store, b!)).result, 'also');
      assert.ok(out.ids[0]! > b!, 'ids keep ascending after a rollback');
    });
    test('reports on one task apply in batch order, each outcome right after it', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 3, maxAttempts: 2 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const l3 = await claimOne(store, T0, 'w3');
      const [other] = await submit(store, T0, newTask());
      const lo = await claimOne(store, T0, 'w4');
      const out = await write(store, T0 + 1, {
        completions: [
          { token: l1.token, result: 'r1', units: 1 },
          { token: lo.token, result: 'o', units: 1 },
          { token: l2.token, result: 'r2', units: 2 },
          // The same token again: its lease ended with the first report.
          { token: l1.token, result: 'again', units: 1 },
        ],
        // After the completions: the task is done, so the failure only counts.
        failures: [{ token: l3.token, error: 'late', retryAt: T0 + 5 }],
        progress: [{ token: l3.token, progress: 0.5 }],
      });
      const [c1, co, c2, again] = out.completions;
      assert.equal(c1?.id, id);
      assert.equal(c1?.status, 'processing');
      assert.equal(c1?.unitsDone, 1);
      assert.equal(c1?.unitsLeased, 2);
      assert.equal(c1?.result, undefined);
      assert.equal(co?.id, other);
      assert.equal(co?.status, 'done');
      assert.equal(c2?.status, 'done');
      assert.equal(c2?.unitsDone, 3);
      assert.equal(c2?.unitsLeased, 1);
      assert.equal(c2?.result, 'r2');
      assert.equal(c2?.finishedAt, T0 + 1);
      assert.equal(again, undefined);
      const failed = out.failures[0];
      assert.ok(failed);
      assert.equal(failed.status, 'done');
      assert.equal(failed.failures, 1);
      assert.equal(failed.unitsLeased, 0);
      assert.equal(failed.error, null);
      assert.equal(failed.result, 'r2');
      assert.deepEqual(out.progress, [false], 'the failure ended the lease');
      assert.deepEqual(await mustGet(store, id!), failed);
    });

    test('the last progress report on a task in a batch wins', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2 }));
      const l1 = await claimOne(store, T0, 'w1');
      const l2 = await claimOne(store, T0, 'w2');
      const first = await write(store, T0 + 1, {
        progress: [
          { token: l1.token, progress: 0.2 },
          { token: l2.token, progress: 0.7 },
        ],
      });
      assert.deepEqual(first.progress, [true, true]);
      assert.equal((await mustGet(store, id!)).progress, 0.7);
      await write(store, T0 + 2, {
        progress: [
          { token: l2.token, progress: 0.9 },
          { token: l1.token, progress: 0.4 },
          { token: l2.token, progress: 0.3 },
        ],
      });
      assert.equal((await mustGet(store, id!)).progress, 0.3);
    });

    test('a batch of a thousand keeps every outcome in batch order', async (store) => {
      const n = 1000;
      const submitted = await submit(
        store,
        T0,
        ...Array.from({ length: n }, (_, i) => newTask({ data: { i } })),
      );
      assert.equal(submitted.length, n);
      assert.ok(
        submitted.every((id, i) => i === 0 || id > submitted[i - 1]!),
        'ascending',
      );
      const leases = await claim(store, T0, { limit: n });
      assert.deepEqual(ids(leases), submitted, 'ids follow the batch order');
      assert.deepEqual(
        leases.map((l) => (l.data as { i: number }).i),
        Array.from({ length: n }, (_, i) => i),
      );
      const reversed = [...leases].reverse();
      const out = await write(store, T0 + 1, {
        completions: reversed.map((l) => ({ token: l.token, result: l.taskId, units: 1 })),
        releases: [reversed[0]!.token, 4242424],
      });
      assert.deepEqual(
        out.completions.map((t) => [t?.id, t?.result]),
        reversed.map((l) => [l.taskId, l.taskId]),
      );
      assert.deepEqual(out.releases, [undefined, undefined]);
      assert.equal((await store.counts()).done, n);
    });
  });
}
