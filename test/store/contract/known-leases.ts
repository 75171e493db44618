/**
 * The Store contract, part: reports written with the server's map of its leases
 * (WriteBatch.leaseOf), which a store may trust instead of reading which task each token is
 * on. The outcomes are those of the same batch without it, and the map never overrides the
 * stored lease: a token the store ended meanwhile is stale whatever the map says.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Lease, LeasedTask } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  complete,
  mustGet,
  newTask,
  submit,
  T0,
  write,
} from './helpers.ts';

/** leaseOf as a server holding `leases` answers it. */
function held(leases: Lease[]): (token: number) => LeasedTask | undefined {
  const byToken = new Map(leases.map((l) => [l.token, { taskId: l.taskId, reps: l.reps }]));
  return (token) => byToken.get(token);
}

export function knownLeasesContract(test: ContractTest): void {
  describe('reports with the server’s leases (leaseOf)', () => {
    test('completions, failures, releases and progress as without it', async (store) => {
      const [a, b, c, d] = await submit(store, T0, newTask(), newTask(), newTask(), newTask());
      const leases = await claim(store, T0 + 1, { limit: 4 });
      const [la, lb, lc, ld] = leases;
      const out = await write(store, T0 + 2, {
        completions: [{ token: la!.token, result: 'A', units: 1 }],
        failures: [{ token: lb!.token, error: 'boom', retryAt: T0 + 100 }],
        releases: [lc!.token],
        progress: [{ token: ld!.token, progress: 0.5 }],
        leaseOf: held(leases),
      });
      assert.deepEqual([out.completions[0]?.status, out.completions[0]?.result], ['done', 'A']);
      assert.deepEqual([out.failures[0]?.id, out.failures[0]?.status], [b, 'enqueued']);
      assert.deepEqual([out.releases[0]?.id, out.releases[0]?.status], [c, 'enqueued']);
      assert.deepEqual(out.progress, [true]);
      assert.equal((await mustGet(store, a!)).status, 'done');
      assert.equal((await mustGet(store, d!)).progress, 0.5);
      // The lease of d is still the worker's: its completion is accepted.
      const done = await complete(store, T0 + 3, ld!.token, 'D');
      assert.equal(done?.status, 'done');
    });

    test('two units of one task in one batch: both counted, the task done once', async (store) => {
      const [id] = await submit(store, T0, newTask({ reps: 2 }));
      const leases = [
        ...(await claim(store, T0 + 1, { worker: 'w1', limit: 1 })),
        ...(await claim(store, T0 + 1, { worker: 'w2', limit: 1 })),
      ];
      assert.equal(leases.length, 2);
      const out = await write(store, T0 + 2, {
        completions: leases.map((l, i) => ({ token: l.token, result: `r${i}`, units: 1 })),
        leaseOf: held(leases),
      });
      assert.deepEqual(
        out.completions.map((t) => t?.unitsDone),
        [1, 2],
      );
      const task = await mustGet(store, id!);
      assert.deepEqual([task.status, task.unitsDone, task.result], ['done', 2, 'r1']);
    });

    test('a token the map holds but the store ended is stale', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const leases = await claim(store, T0 + 1, { limit: 1 });
      const [lease] = leases;
      assert.equal((await complete(store, T0 + 2, lease!.token, 'first'))?.status, 'done');
      const before = await mustGet(store, id!);
      const out = await write(store, T0 + 3, {
        completions: [{ token: lease!.token, result: 'late', units: 1 }],
        failures: [{ token: lease!.token, error: 'late', retryAt: T0 + 3 }],
        releases: [lease!.token],
        progress: [{ token: lease!.token, progress: 0.1 }],
        leaseOf: held(leases),
      });
      assert.deepEqual(
        [out.completions[0], out.failures[0], out.releases[0], out.progress[0]],
        [undefined, undefined, undefined, false],
      );
      assert.deepEqual(await mustGet(store, id!), before, 'nothing changed');
    });

    test('a batch with a token the map does not know: each report as without it', async (store) => {
      const [a, b] = await submit(store, T0, newTask(), newTask());
      const leases = await claim(store, T0 + 1, { limit: 2 });
      const [la, lb] = leases;
      const out = await write(store, T0 + 2, {
        completions: [
          { token: la!.token, result: 'A', units: 1 },
          { token: lb!.token, result: 'B', units: 1 },
          { token: 999_999, result: 'nobody', units: 1 },
        ],
        leaseOf: held([la!]),
      });
      assert.deepEqual(
        out.completions.map((t) => t?.id),
        [a, b, undefined],
      );
      assert.equal((await mustGet(store, b!)).result, 'B');
    });
  });
}
