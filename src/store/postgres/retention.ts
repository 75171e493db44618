/**
 * The PostgreSQL store's prune batch: one transaction that first takes a transaction-level
 * advisory lock (prune-lock), so one server prunes at a time; a server that finds it taken
 * does nothing this time (`busy`). Its rows are locked with SKIP LOCKED, so a prune never
 * waits for a commit touching a finished task, and no commit waits long for a prune: a
 * batch is at most `limit` rows, in three round trips.
 */
import type { TaskStatus } from '../../model/tasks.ts';
import {
  expired,
  type PrunedMarks,
  type PrunedTask,
  type PruneOutcome,
  type PruneRequest,
  tallyExpired,
} from '../retention.ts';
import type { Session } from './connection.ts';

interface ScanRow {
  id: number;
  type: string;
  status: TaskStatus;
  finished_at: number;
  key_held: boolean;
  tally_id: number | null;
}

interface TallyAgeRow {
  tasks: number;
  finished: number;
  last_finished_at: number | null;
  failed: boolean;
}

/** One prune batch (see Store.prune). */
export async function prune(s: Session, req: PruneRequest): Promise<PruneOutcome> {
  const { limit } = req;
  const after = req.after ?? { finishedAt: Number.MIN_SAFE_INTEGER, id: 0 };
  const first = s.pipeline().begin();
  const lock = first.run<{ got: boolean }>('prune-lock', []);
  await first.send();
  if (!lock.rows[0]?.got) {
    await s.pipeline().commit().send();
    return { tasks: [], tallies: [], cursor: req.after, more: false, busy: true };
  }
  const scan = s.pipeline();
  const found = scan.run<ScanRow>('prune-scan', [after.finishedAt, after.id, req.before, limit]);
  await scan.send();
  const rows = found.rows;
  const pruned: PrunedTask[] = [];
  const tallies: number[] = [];
  const checked = new Set<number>();
  for (const row of rows) {
    const { id, type, status, tally_id: tallyId } = row;
    if (tallyId === null) {
      const finished = { id, type, status, finishedAt: row.finished_at, keyHeld: row.key_held };
      if (expired({ ...finished, tallyId }, req)) pruned.push({ id, type, status });
      continue;
    }
    if (checked.has(tallyId)) continue;
    checked.add(tallyId);
    const tasks = await expiredTally(s, tallyId, req);
    if (tasks) {
      pruned.push(...tasks);
      tallies.push(tallyId);
    }
  }
  const last = s.pipeline();
  if (pruned.length > 0) {
    const ids = pruned.map((t) => t.id);
    last.run('prune-leases', [ids]);
    last.run('prune-tasks', [ids]);
    for (const tally of tallies) last.run('prune-tally', [tally]);
    const task = Math.max(...ids);
    last.run('prune-marks-raise', [task, tallies.length > 0 ? Math.max(...tallies) : 0]);
  }
  await last.commit().send();
  const end = rows.at(-1);
  const cursor = end ? { finishedAt: end.finished_at, id: end.id } : req.after;
  return { tasks: pruned, tallies, cursor, more: rows.length === limit };
}

/** A tally's tasks (locked) when the whole tally has expired; undefined when it has not. */
async function expiredTally(
  s: Session,
  id: number,
  req: PruneRequest,
): Promise<PrunedTask[] | undefined> {
  const p = s.pipeline();
  const age = p.run<TallyAgeRow>('prune-tally-age', [id]);
  await p.send();
  const row = age.rows[0];
  if (!row) return undefined;
  const tallyAge = {
    tasks: row.tasks,
    finished: row.finished,
    lastFinishedAt: row.last_finished_at,
    failed: row.failed,
  };
  if (!tallyExpired(tallyAge, req.policy, req.now)) return undefined;
  const q = s.pipeline();
  const tasks = q.run<PrunedTask>('prune-tally-tasks', [id]);
  await q.send();
  return tasks.rows;
}

/** The highest pruned ids. */
export async function prunedMarks(s: Session): Promise<PrunedMarks> {
  const p = s.pipeline();
  const marks = p.run<PrunedMarks>('prune-marks', []);
  await p.send();
  return marks.rows[0] ?? { task: 0, tally: 0 };
}
