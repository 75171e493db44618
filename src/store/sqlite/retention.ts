/**
 * The SQLite store's prune batch: one transaction (SqliteStore opens it), so it never runs
 * inside a commit nor a commit inside it: better-sqlite3 is synchronous, and every write of
 * the store, the committer's batches included, is one call on the same connection.
 */
import type { TaskStatus } from '../../model/tasks.ts';
import {
  expired,
  type FinishedRow,
  type PrunedMarks,
  type PrunedTask,
  type PruneOutcome,
  type PruneRequest,
  tallyExpired,
} from '../retention.ts';
import type { StoreParts } from './operations.ts';
import type { Statements } from './statements.ts';

type ScanRow = [
  id: number,
  type: string,
  status: TaskStatus,
  finishedAt: number,
  keyHeld: number,
  tallyId: number | null,
];

interface TallyAgeRow {
  tasks: number;
  finished: number;
  last_finished_at: number | null;
  failed: number;
}

/** Deletes tasks and their attempts (attempts first: they reference the tasks). */
function deleteTasks(st: Statements, ids: number[]): void {
  if (ids.length === 0) return;
  const json = JSON.stringify(ids);
  st['prune-attempts'].run({ ids: json });
  st['prune-tasks'].run({ ids: json });
}

/** Deletes a tally whose tasks are all past retention: its tasks, then the tally. */
function pruneTally(st: Statements, id: number): PrunedTask[] {
  const tasks = st['prune-tally-tasks'].all({ id }) as PrunedTask[];
  deleteTasks(
    st,
    tasks.map((t) => t.id),
  );
  st['prune-tally'].run({ id });
  return tasks;
}

/** One prune batch (see Store.prune). */
export function prune(p: StoreParts, req: PruneRequest): PruneOutcome {
  const { st } = p;
  const { now, policy, limit } = req;
  const after = req.after ?? { finishedAt: Number.MIN_SAFE_INTEGER, id: 0 };
  const rows = st['prune-scan'].all({
    finishedAt: after.finishedAt,
    id: after.id,
    before: req.before,
    limit,
  }) as ScanRow[];
  const doomed: PrunedTask[] = [];
  const pruned: PrunedTask[] = [];
  const tallies: number[] = [];
  const checked = new Set<number>();
  for (const [id, type, status, finishedAt, keyHeld, tallyId] of rows) {
    const row: FinishedRow = { id, type, status, finishedAt, keyHeld: keyHeld === 1, tallyId };
    if (tallyId === null) {
      if (expired(row, req)) doomed.push({ id, type, status });
      continue;
    }
    if (checked.has(tallyId)) continue;
    checked.add(tallyId);
    const age = st['prune-tally-age'].get({ id: tallyId }) as TallyAgeRow;
    const tallyAge = {
      tasks: age.tasks,
      finished: age.finished,
      lastFinishedAt: age.last_finished_at,
      failed: age.failed === 1,
    };
    if (tallyExpired(tallyAge, policy, now)) {
      pruned.push(...pruneTally(st, tallyId));
      tallies.push(tallyId);
    }
  }
  deleteTasks(
    st,
    doomed.map((t) => t.id),
  );
  pruned.push(...doomed);
  if (pruned.length > 0) raiseMarks(p, pruned, tallies);
  const last = rows.at(-1);
  const cursor = last ? { finishedAt: last[3], id: last[0] } : req.after;
  return { tasks: pruned, tallies, cursor, more: rows.length === limit };
}

/** Raises the pruned marks to the highest ids deleted, and the ids the next inserts take. */
function raiseMarks(p: StoreParts, tasks: PrunedTask[], tallies: number[]): void {
  const marks = p.ids.marks();
  const set = p.st['store-state-set'];
  const task = tasks.reduce((max, t) => Math.max(max, t.id), marks.task);
  const tally = tallies.reduce((max, t) => Math.max(max, t), marks.tally);
  if (task > marks.task) set.run('pruned_task', task);
  if (tally > marks.tally) set.run('pruned_tally', tally);
  p.ids.load();
}

/** The highest pruned ids. */
export function prunedMarks(p: StoreParts): PrunedMarks {
  return p.ids.marks();
}
