/**
 * The Store contract: every store runs this suite (see sqlite.test.ts). It uses only the
 * Store interface, and every test gets a fresh store from `make`.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Json } from '../../src/protocol/tasks.ts';
import {
  emptyBatch,
  isRecord,
  type Lease,
  type NewTask,
  type Store,
  type TaskRecord,
  type TaskState,
  type WriteBatch,
  type WriteOutcome,
} from '../../src/store/types.ts';

/** A fresh, open store and how to dispose of it. */
export interface StoreHarness {
  store: Store;
  /** Closes the store and deletes its data. */
  cleanup(): Promise<void>;
  /** Where the data lives, reported when a test fails and its data is kept. */
  where?: string;
}

const T0 = 1_700_000_000_000;
const LEASE_MS = 30_000;

function newTask(over: Partial<NewTask> = {}): NewTask {
  return { type: 'flip', data: { n: 1 }, reps: 1, maxAttempts: 3, ...over };
}

/** The outcome of a batch without `full`: every report comes back as a whole record. */
type FullOutcome = Omit<WriteOutcome, 'completions' | 'failures' | 'releases'> & {
  completions: (TaskRecord | undefined)[];
  failures: (TaskRecord | undefined)[];
  releases: (TaskRecord | undefined)[];
};

async function write(
  store: Store,
  now: number,
  parts: Partial<Omit<WriteBatch, 'now'>>,
): Promise<FullOutcome> {
  const outcome = await store.write({ ...emptyBatch(now), ...parts });
  const whole = [...outcome.completions, ...outcome.failures, ...outcome.releases];
  if (parts.full === undefined) {
    for (const t of whole) if (t) assert.ok(isRecord(t), 'a whole record when `full` is left out');
  }
  return outcome as FullOutcome;
}

async function submit(store: Store, now: number, ...tasks: NewTask[]): Promise<number[]> {
  return (await write(store, now, { submits: tasks })).ids;
}

function claim(
  store: Store,
  now: number,
  over: { worker?: string; types?: string[]; limit?: number; leaseMs?: number } = {},
): Promise<Lease[]> {
  return store.claim({
    worker: over.worker ?? 'w1',
    types: over.types ?? ['flip'],
    limit: over.limit ?? 10,
    now,
    leaseMs: over.leaseMs ?? LEASE_MS,
  });
}

async function claimOne(store: Store, now: number, worker = 'w1'): Promise<Lease> {
  const leases = await claim(store, now, { worker, limit: 1 });
  assert.equal(leases.length, 1, 'expected one lease');
  return leases[0]!;
}

async function mustGet(store: Store, id: number): Promise<TaskRecord> {
  const task = await store.get(id);
  assert.ok(task, `task ${id} exists`);
  return task;
}

async function complete(store: Store, now: number, token: number, result: Json, units = 1) {
  return (await write(store, now, { completions: [{ token, result, units }] })).completions[0];
}

async function fail(store: Store, now: number, token: number, error: string, retryAt: number) {
  return (await write(store, now, { failures: [{ token, error, retryAt }] })).failures[0];
}

async function release(store: Store, now: number, token: number) {
  return (await write(store, now, { releases: [token] })).releases[0];
}

const ids = (leases: Lease[]) => leases.map((l) => l.taskId);

/** Leases up to `limit` tally tasks for `worker`. */
function claimTally(store: Store, now: number, worker: string, limit = 10, leaseMs = LEASE_MS) {
  return claim(store, now, { worker, types: ['tally'], limit, leaseMs });
}

/** The key a tally task's lease works on. */
const keyOf = (lease: Lease) => (lease.data as { key: number }).key;

/** A tally's summary, which must exist. */
async function mustTally(store: Store, which: { id?: number; name?: string }) {
  const summary = await store.tally(which);
  assert.ok(summary, `tally ${JSON.stringify(which)} exists`);
  return summary;
}

/** Runs the contract suite against the stores that `make` creates (opened). */
export function storeContract(name: string, make: () => Promise<StoreHarness>): void {
  /** A test with its own store; on failure the store is closed but its data kept. */
  function test(title: string, fn: (store: Store, t: TestContext) => Promise<void>): void {
    it(title, async (t) => {
      const harness = await make();
      let passed = false;
      try {
        await fn(harness.store, t);
        passed = true;
      } finally {
        if (passed) {
          await harness.cleanup();
        } else {
          await harness.store.close();
          t.diagnostic(`store data kept for inspection: ${harness.where ?? '(unknown place)'}`);
        }
      }
    });
  }

  describe(`Store contract: ${name}`, () => {
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
          completions: [],
          failures: [],
          releases: [],
          cancels: [],
          progress: [],
          claims: [],
        });
        assert.deepEqual(await store.counts(), {
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

    describe('cancel', () => {
      test('cancels an enqueued task, with an outcome for every other case', async (store) => {
        const [leased, done] = await submit(store, T0, newTask(), newTask());
        const [, doneLease] = await claim(store, T0, { limit: 2 });
        await complete(store, T0, doneLease!.token, 'ok');
        const [fresh] = await submit(store, T0, newTask());

        const out = await write(store, T0 + 9, {
          cancels: [fresh!, fresh!, leased!, done!, 999999],
        });
        const first = out.cancels[0];
        assert.ok(first?.ok);
        assert.equal(first.task.id, fresh);
        assert.equal(first.task.status, 'canceled');
        assert.equal(first.task.finishedAt, T0 + 9);
        assert.equal(first.task.updatedAt, T0 + 9);
        assert.deepEqual(out.cancels.slice(1), [
          { ok: false, reason: 'not_cancelable', status: 'canceled' },
          { ok: false, reason: 'not_cancelable', status: 'processing' },
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
        assert.deepEqual(await store.extend([la!.token], newDeadline * 2, newDeadline + 1), [
          false,
        ]);
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
        const { attemptLog: _, ...withoutLog } = task;
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

    describe('tallies', () => {
      test('creates one task per key, leased in key order', async (store) => {
        const [plain] = await submit(store, T0, newTask());
        const { id, created } = await store.createTally(
          { keys: 5, reps: 2, maxAttempts: 4 },
          T0 + 1,
        );
        assert.equal(created, true);
        assert.deepEqual(await store.counts(), {
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
          enqueued: 2,
          processing: 1,
          done: 1,
          failed: 1,
          canceled: 1,
        });
      });
    });
  });
}
