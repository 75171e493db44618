/** Turns store records into what goes on the wire. */

import type { TallyView } from '../../protocol/messages.ts';
import type { AttemptView, ScheduleView, TaskView } from '../../protocol/tasks.ts';
import type {
  AttemptRecord,
  ScheduleRecord,
  TallySummary,
  TaskWithLog,
} from '../../store/types.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

function attemptView(a: AttemptRecord): AttemptView {
  const view: AttemptView = {
    n: a.n,
    worker: a.worker,
    state: a.state,
    startedAt: iso(a.startedAt),
  };
  if (a.endedAt !== null) view.endedAt = iso(a.endedAt);
  if (a.units !== null) view.units = a.units;
  if (a.error !== null) view.error = a.error;
  return view;
}

/** The client's view of a task. */
export function taskView(t: TaskWithLog): TaskView {
  const view: TaskView = {
    id: String(t.id),
    type: t.type,
    data: t.data,
    status: t.status,
    reps: t.reps,
    unitsDone: t.unitsDone,
    attempts: t.attempts,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    priority: t.priority,
  };
  if (t.runAt !== t.createdAt) view.runAt = iso(t.runAt);
  if (t.key !== null) view.key = t.key;
  if (t.schedule !== null) view.schedule = t.schedule;
  if (t.result !== undefined) view.result = t.result;
  if (t.error !== null) view.error = t.error;
  if (t.progress !== null) view.progress = t.progress;
  if (t.startedAt !== null) view.startedAt = iso(t.startedAt);
  if (t.finishedAt !== null) view.finishedAt = iso(t.finishedAt);
  if (t.attemptLog) view.attemptLog = t.attemptLog.map(attemptView);
  if (t.retries && t.retries.length > 0) {
    view.retries = t.retries.map((r) => ({ at: iso(r.at), by: r.by, was: r.was }));
  }
  return view;
}

/** The client's view of a cron schedule. */
export function scheduleView(s: ScheduleRecord): ScheduleView {
  const view: ScheduleView = {
    name: s.name,
    cron: s.cron,
    type: s.type,
    data: s.data,
    priority: s.priority,
    createdAt: iso(s.createdAt),
  };
  if (s.tz !== null) view.tz = s.tz;
  if (s.nextRun !== null) view.nextRun = iso(s.nextRun);
  if (s.lastRun !== null) view.lastRun = iso(s.lastRun);
  if (s.lastTask !== null) view.lastTask = String(s.lastTask);
  return view;
}

/** Parses a wire task id; undefined when it is not a positive integer. */
export function parseTaskId(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The client's view of a tally. */
export function tallyView(t: TallySummary, now: number): TallyView {
  const view: TallyView = {
    id: String(t.id),
    name: t.name,
    keys: t.keys,
    reps: t.reps,
    keysDone: t.keysDone,
    unitsMin: t.unitsMin,
    unitsMax: t.unitsMax,
    unitsTotal: t.unitsTotal,
    createdAt: iso(t.createdAt),
    elapsedMs: (t.finishedAt ?? now) - t.createdAt,
    workers: t.workers,
  };
  if (t.finishedAt !== null) view.finishedAt = iso(t.finishedAt);
  return view;
}
