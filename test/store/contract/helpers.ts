/** What the Store contract's groups share: the clock, task specs, and shorthands for writes. */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Json } from '../../../src/model/tasks.ts';
import {
  emptyBatch,
  isRecord,
  type Lease,
  type NewTask,
  type Store,
  type TaskRecord,
  type WriteBatch,
  type WriteOutcome,
} from '../../../src/store/types.ts';

/** Registers a test that gets its own fresh store (see `storeContract`). */
export type ContractTest = (
  title: string,
  fn: (store: Store, t: TestContext) => Promise<void>,
) => void;

export const T0 = 1_700_000_000_000;
export const LEASE_MS = 30_000;

export function newTask(over: Partial<NewTask> = {}): NewTask {
  return { type: 'flip', data: { n: 1 }, reps: 1, maxAttempts: 3, ...over };
}

/** The outcome of a batch without `full`: every report comes back as a whole record. */
export type FullOutcome = Omit<WriteOutcome, 'completions' | 'failures' | 'releases'> & {
  completions: (TaskRecord | undefined)[];
  failures: (TaskRecord | undefined)[];
  releases: (TaskRecord | undefined)[];
};

export async function write(
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

export async function submit(store: Store, now: number, ...tasks: NewTask[]): Promise<number[]> {
  return (await write(store, now, { submits: tasks })).ids;
}

export function claim(
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

export async function claimOne(store: Store, now: number, worker = 'w1'): Promise<Lease> {
  const leases = await claim(store, now, { worker, limit: 1 });
  assert.equal(leases.length, 1, 'expected one lease');
  return leases[0]!;
}

export async function mustGet(store: Store, id: number): Promise<TaskRecord> {
  const task = await store.get(id);
  assert.ok(task, `task ${id} exists`);
  return task;
}

export async function complete(store: Store, now: number, token: number, result: Json, units = 1) {
  return (await write(store, now, { completions: [{ token, result, units }] })).completions[0];
}

export async function fail(
  store: Store,
  now: number,
  token: number,
  error: string,
  retryAt: number,
) {
  return (await write(store, now, { failures: [{ token, error, retryAt }] })).failures[0];
}

export async function release(store: Store, now: number, token: number) {
  return (await write(store, now, { releases: [token] })).releases[0];
}

export const ids = (leases: Lease[]) => leases.map((l) => l.taskId);

/** Leases up to `limit` tally tasks for `worker`. */
export function claimTally(
  store: Store,
  now: number,
  worker: string,
  limit = 10,
  leaseMs = LEASE_MS,
) {
  return claim(store, now, { worker, types: ['tally'], limit, leaseMs });
}

/** The key a tally task's lease works on. */
export const keyOf = (lease: Lease) => (lease.data as { key: number }).key;

/** A tally's summary, which must exist. */
export async function mustTally(store: Store, which: { id?: number; name?: string }) {
  const summary = await store.tally(which);
  assert.ok(summary, `tally ${JSON.stringify(which)} exists`);
  return summary;
}
