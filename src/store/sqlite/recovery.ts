/**
 * Opening and closing the SQLite store's lease state. Active leases live in memory
 * (active-leases.ts), so they end with the process that holds them:
 * - a clean close releases them (each attempt written as released) and marks the store
 *   clean;
 * - a start after a crash (no clean mark) finds the tasks with leased units, which only the
 *   lost process knew, writes their lost attempts as released and gives the units back.
 * Both run in one transaction each.
 */
import type { LeaseRow } from '../rows.ts';
import { releaseAll, type StoreParts } from './operations.ts';

const CLEAN = 'clean';

/**
 * The worker recorded for an attempt lost in a crash: which worker held it, its token, its
 * deadline and when it started were known only to the process that crashed.
 */
export const LOST_WORKER = '(lost in a crash)';

/**
 * Loads the token range and, when the last server did not close the store, takes back the
 * units it had leased. Marks the store in use (not clean). Returns how many units were
 * taken back.
 */
export function openLeases(p: StoreParts, now: number): number {
  const { st } = p;
  p.tokens.load();
  const clean = st['store-state-get'].get(CLEAN) === 1;
  const recovered = clean ? 0 : recoverLostLeases(p, now);
  st['store-state-set'].run(CLEAN, 0);
  return recovered;
}

/** Releases the active leases, gives back the unused tokens and marks the store clean. */
export function closeLeases(p: StoreParts, now: number): void {
  releaseAll(p, now);
  p.tokens.release();
  p.st['store-state-set'].run(CLEAN, 1);
}

type LeasedTask = { id: number; attempts: number; units_leased: number };

/**
 * For each task with leased units: every attempt number without an ended row was active
 * when the server stopped; it is written as released (or, for a row of schema 003 still
 * active, ended as released), and each leased unit is given back as by a release.
 */
function recoverLostLeases(p: StoreParts, now: number): number {
  const { st } = p;
  const tasks = st['tasks-leased'].all() as LeasedTask[];
  let units = 0;
  for (const task of tasks) {
    const rows = st['attempts-of-task'].all({ taskId: task.id }) as LeaseRow[];
    const stored = new Map(rows.map((r) => [r.n, r.state]));
    for (let n = 1; n <= task.attempts; n++) {
      const state = stored.get(n);
      if (state === 'active') st['attempt-release'].run({ taskId: task.id, n, now });
      if (state !== undefined) continue;
      const token = p.tokens.take(1);
      st['attempt-insert'].run(
        task.id,
        n,
        token,
        LOST_WORKER,
        'released',
        now,
        now,
        now,
        null,
        null,
      );
    }
    for (let i = 0; i < task.units_leased; i++) st['task-release'].run({ id: task.id, now });
    units += task.units_leased;
  }
  return units;
}
