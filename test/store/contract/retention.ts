/**
 * The Store contract, part: retention. Finished tasks go (with their attempts) once older
 * than their status's retention, in finish-time batches; unfinished tasks never; a keyed
 * task not before its key hold ends; a tally whole, once every task of it expired. The
 * pruned marks tell a pruned id from one never handed out, and ids are never handed out
 * twice after the newest tasks were pruned.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  type PrunedTask,
  type PruneRequest,
  passLengths,
  type RetentionPolicy,
} from '../../../src/store/retention.ts';
import { KEY_HOLD_MS, type Store } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  claimOne,
  claimTally,
  complete,
  fail,
  newTask,
  submit,
  T0,
  write,
} from './helpers.ts';

const SECOND = 1000;
const POLICY: RetentionPolicy = { done: 10 * SECOND, failed: 60 * SECOND, canceled: 10 * SECOND };

/** Every pass of a sweep at `now`, each batch by batch until its range is read (as the pruner). */
async function sweep(store: Store, now: number, policy = POLICY, limit = 100) {
  const tasks: PrunedTask[] = [];
  const tallies: number[] = [];
  let batches = 0;
  for (const length of passLengths(policy, KEY_HOLD_MS)) {
    const req: PruneRequest = {
      now,
      policy,
      keyHoldMs: KEY_HOLD_MS,
      before: now - length,
      after: undefined,
      limit,
    };
    for (;;) {
      const out = await store.prune(req);
      batches += 1;
      assert.notEqual(out.busy, true, 'no other server prunes here');
      tasks.push(...out.tasks);
      tallies.push(...out.tallies);
      if (!out.more) break;
      req.after = out.cursor;
    }
  }
  return { tasks, tallies, batches, ids: tasks.map((t) => t.id).sort((a, b) => a - b) };
}

async function present(store: Store, ids: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const id of ids) if (await store.get(id)) out.push(id);
  return out;
}

export function retentionContract(test: ContractTest): void {
  describe('retention', () => {
    test('finished tasks go by their status retention; unfinished ones never', async (store) => {
      const [done, failed, canceled, running, waiting, scheduled] = await submit(
        store,
        T0,
        newTask({ maxAttempts: 1 }),
        newTask({ maxAttempts: 1 }),
        newTask(),
        newTask(),
        newTask(),
        newTask({ runAt: T0 + 3600 * SECOND }),
      );
      const [l1, l2, l3] = await claim(store, T0, { limit: 3 });
      assert.deepEqual([l1!.taskId, l2!.taskId, l3!.taskId], [done, failed, canceled]);
      await complete(store, T0 + SECOND, l1!.token, 'ok');
      await fail(store, T0 + SECOND, l2!.token, 'boom', T0 + SECOND);
      await write(store, T0 + SECOND, { releases: [l3!.token], cancels: [canceled!] });
      await claimOne(store, T0 + SECOND); // `running` is processing from now on
      const all = [done!, failed!, canceled!, running!, waiting!, scheduled!];

      // Not yet older than 10 s: nothing goes.
      assert.deepEqual((await sweep(store, T0 + 11 * SECOND)).ids, []);
      // Done and canceled are past their 10 s; failed keeps its 60 s.
      const first = await sweep(store, T0 + 11 * SECOND + 1);
      assert.deepEqual(first.ids, [done, canceled]);
      assert.deepEqual(
        first.tasks.map((t) => [t.id, t.type, t.status]).sort(),
        [
          [done, 'flip', 'done'],
          [canceled, 'flip', 'canceled'],
        ].sort(),
      );
      assert.deepEqual(await present(store, all), [failed, running, waiting, scheduled]);
      const later = await sweep(store, T0 + 61 * SECOND + 1);
      assert.deepEqual(later.ids, [failed]);
      // A day on, the unfinished ones are all still there.
      assert.deepEqual((await sweep(store, T0 + 86_400 * SECOND)).ids, []);
      assert.deepEqual(await present(store, all), [running, waiting, scheduled]);
      const counts = await store.counts();
      assert.equal(counts.done + counts.failed + counts.canceled, 0);
      assert.equal(counts.processing + counts.enqueued + counts.scheduled, 3);
    });

    test('null keeps a status forever; the attempts of a pruned task go with it', async (store) => {
      const [a, b] = await submit(store, T0, newTask({ maxAttempts: 2 }), newTask());
      const first = await claimOne(store, T0);
      await fail(store, T0, first.token, 'once', T0);
      const [again, other] = await claim(store, T0, { limit: 2 });
      assert.deepEqual([again!.taskId, other!.taskId], [a, b]);
      await complete(store, T0 + 1, again!.token, 'ok');
      await complete(store, T0 + 1, other!.token, 'ok');
      const withLog = await store.get(a!, true);
      assert.equal(withLog?.attemptLog?.length, 2);
      const keepDone = { ...POLICY, done: null };
      assert.deepEqual((await sweep(store, T0 + 86_400 * SECOND, keepDone)).ids, []);
      assert.deepEqual((await sweep(store, T0 + 86_400 * SECOND)).ids, [a, b]);
      assert.equal(await store.get(a!, true), undefined);
      assert.deepEqual(await store.prunedMarks(), { task: b!, tally: 0 });
    });

    test('prunes in batches of the limit, in finish-time order', async (store) => {
      const ids = await submit(store, T0, ...Array.from({ length: 25 }, () => newTask()));
      const leases = await claim(store, T0, { limit: 25 });
      // Finished in reverse id order: the batches follow the finish time, not the id.
      for (const [i, lease] of [...leases].reverse().entries()) {
        await complete(store, T0 + i, lease.token, i);
      }
      const req: PruneRequest = {
        now: T0 + 60 * SECOND,
        policy: POLICY,
        keyHoldMs: KEY_HOLD_MS,
        before: T0 + 50 * SECOND,
        after: undefined,
        limit: 10,
      };
      const sizes: number[] = [];
      const order: number[] = [];
      for (;;) {
        const out = await store.prune(req);
        sizes.push(out.tasks.length);
        order.push(...out.tasks.map((t) => t.id));
        if (!out.more) break;
        req.after = out.cursor;
      }
      assert.deepEqual(sizes, [10, 10, 5]);
      assert.deepEqual(
        [...order].sort((x, y) => x - y),
        ids,
      );
      assert.deepEqual(order.slice(0, 3), [ids[24], ids[23], ids[22]]);
      assert.deepEqual(await present(store, ids), []);
    });

    test('a pruned id is never handed out again, even once the newest tasks are pruned', async (store) => {
      const [a, b] = await submit(store, T0, newTask(), newTask());
      for (const lease of await claim(store, T0, { limit: 2 })) {
        await complete(store, T0, lease.token, 'ok');
      }
      assert.deepEqual((await sweep(store, T0 + 11 * SECOND)).ids, [a, b]);
      assert.deepEqual(await store.prunedMarks(), { task: b!, tally: 0 });
      // The table is empty now: the next id is still above every id handed out.
      const [c, d] = await submit(store, T0 + 12 * SECOND, newTask(), newTask({ key: 'k' }));
      assert.ok(c! > b!, `new id ${c} above the pruned ${b}`);
      assert.equal(d, c! + 1);
      assert.equal((await store.get(c!))?.status, 'enqueued');
    });

    test('a finished task holding its unique key is kept until the key hold ends', async (store) => {
      const [keyed, plain] = await submit(store, T0, newTask({ key: 'order-1' }), newTask());
      for (const lease of await claim(store, T0, { limit: 2 })) {
        await complete(store, T0, lease.token, 'ok');
      }
      assert.deepEqual((await sweep(store, T0 + 11 * SECOND)).ids, [plain]);
      // Within the hold a keyed submit still finds its task.
      const [dup] = await submit(store, T0 + 12 * SECOND, newTask({ key: 'order-1' }));
      assert.equal(dup, keyed);
      assert.deepEqual((await sweep(store, T0 + KEY_HOLD_MS + 1)).ids, [keyed]);
      const [fresh] = await submit(store, T0 + KEY_HOLD_MS + 2, newTask({ key: 'order-1' }));
      assert.ok(fresh! > keyed!);
    });

    test('a tally goes whole, once its last task is older than the retention', async (store) => {
      const { id } = await store.createTally({ keys: 3, reps: 1, maxAttempts: 1 }, T0);
      const { id: other } = await store.createTally({ keys: 1, reps: 1, maxAttempts: 1 }, T0);
      const leases = await claimTally(store, T0, 'w1', 4);
      assert.equal(leases.length, 4);
      // Two keys of the first tally finish early, its third a minute later.
      await complete(store, T0, leases[0]!.token, 1);
      await complete(store, T0, leases[1]!.token, 1);
      await complete(store, T0 + 60 * SECOND, leases[2]!.token, 1);
      await fail(store, T0, leases[3]!.token, 'boom', T0);
      // The first tally's early keys are past 10 s, its last key is not: nothing goes.
      // The other tally failed: it keeps the failed retention (60 s).
      const early = await sweep(store, T0 + 30 * SECOND);
      assert.deepEqual(early.ids, []);
      assert.equal((await store.tally({ id }))?.keysDone, 3);
      const due = await sweep(store, T0 + 61 * SECOND);
      assert.deepEqual(due.tallies, [other]);
      const done = await sweep(store, T0 + 71 * SECOND);
      assert.deepEqual(done.tallies, [id]);
      assert.deepEqual(
        done.ids,
        leases
          .slice(0, 3)
          .map((l) => l.taskId)
          .sort((a, b) => a - b),
      );
      assert.equal(await store.tally({ id }), undefined);
      assert.equal(await store.tally({}), undefined);
      assert.deepEqual(await store.prunedMarks(), {
        task: leases[3]!.taskId,
        tally: other,
      });
      const { id: next } = await store.createTally({ keys: 1, reps: 1, maxAttempts: 1 }, T0);
      assert.ok(next > other, 'a new tally takes a new id');
    });

    test('a retried task is kept while it runs again, then goes with its retry log', async (store) => {
      const [id] = await submit(store, T0, newTask({ maxAttempts: 1 }));
      await fail(store, T0, (await claimOne(store, T0)).token, 'boom', T0);
      const [out] = await store.operator.retry([id!], T0 + 70 * SECOND, 'ops');
      assert.ok(out?.ok);
      // Failed more than 60 s ago, but back in the queue: not finished, not pruned.
      assert.deepEqual((await sweep(store, T0 + 71 * SECOND)).ids, []);
      const again = await claimOne(store, T0 + 71 * SECOND);
      await complete(store, T0 + 72 * SECOND, again.token, 'ok');
      assert.deepEqual((await sweep(store, T0 + 80 * SECOND)).ids, []);
      assert.deepEqual((await sweep(store, T0 + 83 * SECOND)).ids, [id]);
      assert.equal(await store.get(id!, true), undefined);
    });

    test('an unfinished tally is never pruned', async (store) => {
      const { id } = await store.createTally({ keys: 2, reps: 1, maxAttempts: 1 }, T0);
      const [first] = await claimTally(store, T0, 'w1', 1);
      await complete(store, T0, first!.token, 1);
      assert.deepEqual((await sweep(store, T0 + 86_400 * SECOND)).tallies, []);
      assert.equal((await store.tally({ id }))?.keysDone, 1);
    });
  });
}
