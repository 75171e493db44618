/**
 * The Store contract, part: claims applied in a write's transaction (WriteBatch.claims),
 * after its submits and reports, as the server's committer sends them.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ClaimRequest, emptyBatch } from '../../../src/store/types.ts';
import { type ContractTest, claimOne, LEASE_MS, mustGet, newTask, submit, T0 } from './helpers.ts';

const req = (worker: string, types: string[], limit: number, now = T0): ClaimRequest => ({
  worker,
  types,
  limit,
  now,
  leaseMs: LEASE_MS,
});

export function claimsInWriteContract(test: ContractTest): void {
  describe('claims in a write', () => {
    test("a write's claims run after its submits, in its transaction, each task once", async (store) => {
      const outcome = await store.write({
        ...emptyBatch(T0),
        submits: [newTask(), newTask({ type: 'swap' }), newTask(), newTask(), newTask()],
        claims: [req('a', ['flip'], 2), req('b', ['flip', 'swap'], 10), req('c', ['flip'], 5)],
      });
      const { ids } = outcome;
      const [a, b, c] = outcome.claims;
      assert.deepEqual(
        a?.leases.map((l) => l.taskId),
        [ids[0], ids[2]],
      );
      assert.equal(a?.more, true, 'two more flips were ready');
      assert.deepEqual(
        b?.leases.map((l) => l.taskId),
        [ids[1], ids[3], ids[4]],
      );
      assert.equal(b?.more, false);
      assert.deepEqual(c, { leases: [], more: false }, 'nothing is leased twice');
      const tokens = [...a!.leases, ...b!.leases].map((l) => l.token);
      assert.equal(new Set(tokens).size, 5, 'a token per lease');
      const leased = await Promise.all(ids.map((id) => store.get(id!, true)));
      assert.deepEqual(
        leased.map((task) => [task?.status, task?.attemptLog?.map((l) => l.worker)]),
        [
          ['processing', ['a']],
          ['processing', ['b']],
          ['processing', ['a']],
          ['processing', ['b']],
          ['processing', ['b']],
        ],
      );
    });

    test("a worker's next task rides with its completion: the report first, then the claim", async (store) => {
      const [first, second] = await submit(store, T0, newTask(), newTask());
      const lease = await claimOne(store, T0 + 1);
      assert.equal(lease.taskId, first);
      const outcome = await store.write({
        ...emptyBatch(T0 + 2),
        completions: [{ token: lease.token, result: 'done', units: 1 }],
        claims: [req('w1', ['flip'], 2, T0 + 2)],
      });
      assert.equal(outcome.completions[0]?.status, 'done');
      const [next] = outcome.claims;
      assert.deepEqual(
        next?.leases.map((l) => [l.taskId, l.attempt]),
        [[second, 1]],
        'the task just completed is not leased again',
      );
      assert.equal(next?.more, false);
      assert.equal((await mustGet(store, second!)).status, 'processing');
      // The lease is real: its completion is accepted.
      const done = await store.write({
        ...emptyBatch(T0 + 3),
        completions: [{ token: next!.leases[0]!.token, result: 'next', units: 1 }],
      });
      assert.equal(done.completions[0]?.status, 'done');
    });

    test('a write of claims alone leases what is ready and nothing else', async (store) => {
      const [id] = await submit(store, T0, newTask());
      const outcome = await store.write({ ...emptyBatch(T0 + 1), claims: [req('w', ['flip'], 4)] });
      assert.deepEqual(
        outcome.claims[0]?.leases.map((l) => l.taskId),
        [id],
      );
      assert.deepEqual(outcome.ids, []);
      const empty = await store.write({ ...emptyBatch(T0 + 2), claims: [req('w', ['flip'], 4)] });
      assert.deepEqual(empty.claims, [{ leases: [], more: false }]);
    });
  });
}
