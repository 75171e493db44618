/**
 * The Store contract, part: one claim in a write beside the write's own submits (a quiet
 * server's batch). The claim takes tasks in claim order over the stored and the new tasks
 * alike: a new task (priority 0, the newest) comes after every stored one of priority 0 or
 * more and before those below 0; `more` counts both. (A claim that gets all it asked for
 * may answer `more` without having looked: PostgreSQL's does.)
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ClaimRequest, emptyBatch, type Store } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claimOne,
  complete,
  ids,
  LEASE_MS,
  mustGet,
  newTask,
  submit,
  T0,
} from './helpers.ts';

const req = (limit: number, over: Partial<ClaimRequest> = {}): ClaimRequest => ({
  worker: 'w',
  types: ['flip'],
  limit,
  now: T0 + 1,
  leaseMs: LEASE_MS,
  ...over,
});

/** Writes the tasks (one new flip when none are given) with one claim; what it got. */
async function submitWithClaim(store: Store, claim: ClaimRequest, tasks = [newTask()]) {
  const outcome = await store.write({ ...emptyBatch(T0 + 1), submits: tasks, claims: [claim] });
  const [claimed] = outcome.claims;
  assert.ok(claimed, 'one outcome per claim');
  return { ids: outcome.ids, ...claimed };
}

export function claimsWithSubmitsContract(test: ContractTest): void {
  describe('one claim beside its write’s submits', () => {
    test('stored tasks go first; the new task the claim takes is leased, the rest enqueued', async (store) => {
      const stored = await submit(store, T0, newTask(), newTask());
      const out = await submitWithClaim(store, req(3), [newTask(), newTask()]);
      assert.deepEqual(ids(out.leases), [...stored, out.ids[0]]);
      assert.equal(out.more, true, 'one new task was left');
      const [first, second] = out.ids;
      const leased = await store.get(first!, true);
      assert.equal(leased?.status, 'processing');
      assert.equal(leased?.unitsLeased, 1);
      assert.deepEqual(
        leased?.attemptLog?.map((a) => [a.n, a.worker, a.state]),
        [[1, 'w', 'active']],
      );
      assert.equal(out.leases[2]?.attempt, 1);
      assert.equal(out.leases[2]?.readyAt, T0 + 1);
      assert.deepEqual(out.leases[2]?.data, { n: 1 });
      assert.equal((await mustGet(store, second!)).status, 'enqueued');
      const done = await complete(store, T0 + 2, out.leases[2]!.token, 'ok');
      assert.equal(done?.status, 'done', 'the lease of a new task is a real lease');
      assert.equal((await claimOne(store, T0 + 3)).taskId, second);
    });

    test('a stored task of higher priority goes first, one of negative priority after the new', async (store) => {
      const [low] = await submit(store, T0, newTask({ priority: -5 }));
      const [high] = await submit(store, T0, newTask({ priority: 5 }));
      const two = await submitWithClaim(store, req(2));
      assert.deepEqual(ids(two.leases), [high, two.ids[0]]);
      assert.equal(two.more, true, 'the negative one was left');
      assert.equal((await mustGet(store, low!)).status, 'enqueued');
      const three = await submitWithClaim(store, req(3, { worker: 'v' }));
      assert.deepEqual(ids(three.leases), [three.ids[0], low]);
      assert.equal(three.more, false);
    });

    test('the excluded task is skipped; a new task of another type is not taken', async (store) => {
      const [stored] = await submit(store, T0, newTask());
      const out = await submitWithClaim(store, req(3, { excludeTaskId: stored }), [
        newTask({ type: 'swap' }),
        newTask(),
      ]);
      assert.deepEqual(ids(out.leases), [out.ids[1]]);
      assert.equal(out.more, false);
      assert.equal((await mustGet(store, stored!)).status, 'enqueued');
      assert.equal((await mustGet(store, out.ids[0]!)).status, 'enqueued');
    });

    test('a new task of several units is leased once and stays ready for its other units', async (store) => {
      const out = await submitWithClaim(store, req(2), [newTask({ reps: 3 })]);
      assert.deepEqual(ids(out.leases), out.ids);
      assert.equal(out.more, false);
      const task = await mustGet(store, out.ids[0]!);
      assert.deepEqual([task.status, task.unitsLeased, task.unitsDone], ['processing', 1, 0]);
      const next = await claimOne(store, T0 + 2, 'v');
      assert.deepEqual([next.taskId, next.attempt], [out.ids[0], 2]);
    });

    test('the claim sees the batch’s reports: a release ahead of the new task, a cancel gone', async (store) => {
      const [released, canceled] = await submit(store, T0, newTask(), newTask());
      const lease = await claimOne(store, T0);
      assert.equal(lease.taskId, released);
      const outcome = await store.write({
        ...emptyBatch(T0 + 1),
        submits: [newTask()],
        releases: [lease.token],
        cancels: [canceled!],
        claims: [req(3)],
      });
      assert.equal(outcome.releases[0]?.status, 'enqueued');
      assert.equal(outcome.cancels[0]?.ok, true);
      assert.deepEqual(ids(outcome.claims[0]!.leases), [released, outcome.ids[0]]);
      assert.equal(outcome.claims[0]!.more, false);
      assert.equal((await mustGet(store, canceled!)).status, 'canceled');
    });

    test('a claim that the stored tasks fill takes no new task', async (store) => {
      const stored = await submit(store, T0, newTask(), newTask());
      const out = await submitWithClaim(store, req(2));
      assert.deepEqual(ids(out.leases), stored);
      assert.equal(out.more, true);
      assert.equal((await mustGet(store, out.ids[0]!)).status, 'enqueued');
    });
  });
}
