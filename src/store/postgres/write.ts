/**
 * The PostgreSQL store's `write`: a batch of submits, reports and claims in one transaction,
 * in one round trip whatever its size when the server knows the tasks of the leases it
 * reports on (WriteBatch.leaseOf), two otherwise.
 */
import { type TaskRow, toJsonText, toTaskRecord, toTaskState } from '../rows.ts';
import { soleClaim } from '../sole-claim.ts';
import {
  hasOptions,
  KEY_HOLD_MS,
  type NewTask,
  type TaskState,
  type WriteBatch,
  type WriteOutcome,
} from '../types.ts';
import { addClaim, addInsertClaim } from './claims.ts';
import type { Pipeline, Session } from './connection.ts';
import { type Announcer, announce, announceFinished, type Notice } from './notifications.ts';

/** A task locked by tasks-lock: whether a report on it may make it runnable. */
interface LockedTask {
  id: number;
  reps: number;
  open: boolean;
}

/** A row that answers one input row, identified by its token, with the task after it. */
type SettledRow = [token: number, ...task: TaskRow];

/** The batch positions, per kind, that one round applies. */
interface Round {
  completions: number[];
  failures: number[];
  releases: number[];
  cancels: number[];
  progress: number[];
}

/**
 * Splits the reports of a batch into rounds in which no task appears twice, keeping each
 * task's reports in batch order (completions, failures, releases, cancels, progress): the
 * n-th report about a task goes to round n. Reports on different tasks never affect each
 * other, so applying round after round, each as set-based statements, has the effect of
 * applying the batch one report at a time. Most batches are one round; a report whose token
 * is not active (`taskOf` has no task for it) is stale and in no round.
 */
function planRounds(batch: WriteBatch, taskOf: Map<number, number>): Round[] {
  const rounds: Round[] = [];
  const seen = new Map<number, number>();
  const place = (kind: keyof Round, index: number, task: number | undefined) => {
    if (task === undefined) return;
    const n = seen.get(task) ?? 0;
    seen.set(task, n + 1);
    rounds[n] ??= { completions: [], failures: [], releases: [], cancels: [], progress: [] };
    rounds[n][kind].push(index);
  };
  for (const [i, c] of batch.completions.entries()) place('completions', i, taskOf.get(c.token));
  for (const [i, f] of batch.failures.entries()) place('failures', i, taskOf.get(f.token));
  for (const [i, token] of batch.releases.entries()) place('releases', i, taskOf.get(token));
  for (const [i, id] of batch.cancels.entries()) {
    place('cancels', i, Number.isSafeInteger(id) ? id : undefined);
  }
  for (const [i, p] of batch.progress.entries()) place('progress', i, taskOf.get(p.token));
  return rounds;
}

/**
 * Maps rows that start with a token back to the batch positions the statement ran for: whole
 * records, or (`whole` false for the task) states without data and result parsed.
 */
function byToken(
  positions: number[],
  tokenAt: (i: number) => number,
  rows: SettledRow[],
  into: (TaskState | undefined)[],
  whole: WriteBatch['full'],
): void {
  const position = new Map(positions.map((i) => [tokenAt(i), i]));
  for (const [token, ...task] of rows) {
    into[position.get(token)!] =
      whole === undefined || whole(task[0]) ? toTaskRecord(task) : toTaskState(task);
  }
}

/**
 * Applies a write batch in one transaction, with the effect of applying its parts in the
 * documented order (submits, completions, failures, releases, cancels, progress, then the
 * claims), one by one.
 *
 * BEGIN, the inserts (for a quiet batch, soleClaim, they go with its claim at the end), and
 * the locks: the active leases among the batch's tokens (in token
 * order), then their tasks and the canceled ones (in id order). Every writer locks in that
 * order, so concurrent writers never deadlock, and nothing else can change those rows until
 * the commit. Then one statement per kind of report and round (see planRounds), the claims,
 * the NOTIFY, COMMIT. The rounds and the NOTIFY need each token's task: when the server
 * knows them all (`leaseOf`) and the batch cancels nothing, everything goes out in one round
 * trip (the statements still check each token against the locked rows: a lease ended
 * meanwhile is stale); otherwise the locks' answers are read first, a second round trip.
 */
export async function write(
  s: Session,
  batch: WriteBatch,
  announcer: Announcer | undefined,
): Promise<WriteOutcome> {
  const { now } = batch;
  // JSON that cannot be written (a BigInt, a cycle) throws here, before anything is sent.
  const data = batch.submits.map((t) => JSON.stringify(t.data));
  const results = batch.completions.map((c) => toJsonText(c.result));
  const outcome: WriteOutcome = {
    ids: [],
    duplicates: [],
    completions: batch.completions.map(() => undefined),
    failures: batch.failures.map(() => undefined),
    releases: batch.releases.map(() => undefined),
    cancels: batch.cancels.map(() => ({ ok: false, reason: 'not_found' })),
    progress: batch.progress.map(() => false),
    claims: [],
  };
  const tokens = [
    ...new Set([
      ...batch.completions.map((c) => c.token),
      ...batch.failures.map((f) => f.token),
      ...batch.releases,
      ...batch.progress.map((p) => p.token),
    ]),
  ].filter(Number.isSafeInteger);
  const cancels = batch.cancels.filter(Number.isSafeInteger);
  const writes = batch.submits.length > 0 || tokens.length > 0 || cancels.length > 0;
  if (!writes && batch.claims.length === 0) return outcome;

  const first = s.pipeline().begin();
  // A batch of nothing but claims commits unsynced, as a claim of its own does (see claim).
  if (!writes) first.control('SET LOCAL synchronous_commit = off');
  // A quiet batch's submits go with its claim, after the reports (which cannot touch them).
  const sole = soleClaim(batch);
  const submitted = sole ? undefined : insertTasks(first, batch.submits, data, now);
  // A cancel may end a running task's leases: they are locked with the reports' ones.
  const leases =
    cancels.length > 0
      ? first.run<{ token: number; task_id: number }>('leases-lock-cancel', [tokens, cancels])
      : tokens.length > 0
        ? first.run<{ token: number; task_id: number }>('leases-lock', [tokens])
        : undefined;
  const tasks =
    tokens.length > 0 || cancels.length > 0
      ? first.run<LockedTask>('tasks-lock', [tokens, cancels])
      : undefined;
  const known = cancels.length === 0 ? knownTasks(tokens, batch.leaseOf) : undefined;
  let second = first;
  if (leases && !known) {
    await first.send();
    second = s.pipeline();
  }
  const taskOf = known?.taskOf ?? new Map(leases?.rows.map((r) => [r.token, r.task_id]));
  const rounds = planRounds(batch, taskOf);

  const fills = rounds.map((round) => addRound(second, batch, round, results, outcome, taskOf));
  // After every other write, in order: the batch's submits and freed slots are there to lease.
  const together = sole && addInsertClaim(second, batch.submits, data, now, sole);
  const claimed = together ? [] : batch.claims.map((req) => addClaim(second, req));
  const locked = known?.tasks ?? tasks?.rows ?? [];
  if (writes) {
    const completed = batch.completions.flatMap((c) => taskOf.get(c.token) ?? []);
    announceFinished(second, announcer, completed);
    announce(second, announcer, batchNotice(batch, taskOf, locked));
  }
  second.commit();
  await second.send();
  submitted?.(outcome);
  for (const fill of fills) fill();
  if (together) {
    const { ids, claim } = together();
    outcome.ids = ids;
    outcome.claims = [claim];
  } else {
    outcome.claims = claimed.map((got) => got());
  }
  return outcome;
}

/**
 * The task of each token, if `leaseOf` knows every one; with each task as the NOTICE's guess
 * sees it (open: a report on a task already finished is rare, and a wrong guess costs the
 * other servers one look).
 */
function knownTasks(
  tokens: number[],
  leaseOf: WriteBatch['leaseOf'],
): { taskOf: Map<number, number>; tasks: LockedTask[] } | undefined {
  if (!leaseOf || tokens.length === 0) return undefined;
  const taskOf = new Map<number, number>();
  const tasks = new Map<number, LockedTask>();
  for (const token of tokens) {
    const lease = leaseOf(token);
    if (!lease) return undefined;
    taskOf.set(token, lease.taskId);
    tasks.set(lease.taskId, { id: lease.taskId, reps: lease.reps, open: true });
  }
  return { taskOf, tasks: [...tasks.values()] };
}

/**
 * Adds the inserts of a batch's submits to `p`; returns what fills in `ids` and `duplicates`
 * once `p` was sent. Submits without options take task-insert; a batch with any option takes
 * task-insert-options for all, so ids still ascend in batch order. Keys held by tasks that
 * finished more than KEY_HOLD_MS ago are let go first; the holders of the keys that inserted
 * nothing are read after the insert.
 */
/** Where insertTasks puts the submits' ids. */
export type Submitted = Pick<WriteOutcome, 'ids' | 'duplicates'>;

export function insertTasks(p: Pipeline, submits: NewTask[], data: string[], now: number) {
  if (submits.length === 0) return undefined;
  const types = submits.map((t) => t.type);
  const reps = submits.map((t) => t.reps);
  const attempts = submits.map((t) => t.maxAttempts);
  if (!submits.some(hasOptions)) {
    const rows = p.run<{ id: number }>('task-insert', [types, data, reps, attempts, now]);
    return (o: Submitted) => {
      o.ids = rows.rows.map((r) => r.id);
    };
  }
  const keyed = submits.filter((t) => t.key !== undefined);
  const keyTypes = keyed.map((t) => t.type);
  const keys = keyed.map((t) => t.key!);
  if (keyed.length > 0) p.run('tasks-key-release', [keyTypes, keys, now - KEY_HOLD_MS]);
  const rows = p.run<{ id: number; inserted: boolean }>('task-insert-options', [
    types,
    data,
    reps,
    attempts,
    submits.map((t) => t.runAt ?? null),
    submits.map((t) => t.priority ?? 0),
    submits.map((t) => t.key ?? null),
    submits.map((t) => t.schedule ?? null),
    now,
    submits.map((t) => t.timeoutMs ?? null),
  ]);
  const holders =
    keyed.length > 0
      ? p.run<{ id: number; type: string; key: string }>('tasks-by-key', [keyTypes, keys])
      : undefined;
  return (o: Submitted) => {
    const holder = new Map(holders?.rows.map((r) => [`${r.type}\u0000${r.key}`, r.id]));
    o.ids = rows.rows.map((r, i) => {
      if (r.inserted) return r.id;
      const t = submits[i]!;
      const id = holder.get(`${t.type}\u0000${t.key}`);
      if (id === undefined) throw new Error(`no task holds key ${t.key} of type ${t.type}`);
      o.duplicates.push(i);
      return id;
    });
  };
}

/**
 * Adds to `p` the statements of one round, one per kind of report in it; returns the
 * function that copies their answers into `outcome` once `p` was sent.
 */
function addRound(
  p: Pipeline,
  batch: WriteBatch,
  round: Round,
  results: (string | null)[],
  outcome: WriteOutcome,
  taskOf: Map<number, number>,
): () => void {
  const { now, full } = batch;
  const fills: (() => void)[] = [];
  if (round.completions.length > 0) {
    const c = round.completions.map((i) => batch.completions[i]!);
    // Data and results come back only for the tasks somebody waits on.
    const whole = c.map((x) => full === undefined || full(taskOf.get(x.token)!));
    const rows = p.run<SettledRow>('tasks-complete', [
      c.map((x) => x.token),
      round.completions.map((i) => results[i]),
      c.map((x) => x.units),
      now,
      whole,
    ]);
    fills.push(() =>
      byToken(
        round.completions,
        (i) => batch.completions[i]!.token,
        rows.rows,
        outcome.completions,
        full,
      ),
    );
  }
  if (round.failures.length > 0) {
    const f = round.failures.map((i) => batch.failures[i]!);
    const rows = p.run<SettledRow>('tasks-fail', [
      f.map((x) => x.token),
      f.map((x) => x.error),
      f.map((x) => x.retryAt),
      now,
    ]);
    fills.push(() =>
      byToken(
        round.failures,
        (i) => batch.failures[i]!.token,
        rows.rows,
        outcome.failures,
        undefined,
      ),
    );
  }
  if (round.releases.length > 0) {
    const released = round.releases.map((i) => batch.releases[i]!);
    const rows = p.run<SettledRow>('tasks-release', [released, now]);
    fills.push(() =>
      byToken(round.releases, (i) => batch.releases[i]!, rows.rows, outcome.releases, undefined),
    );
  }
  if (round.cancels.length > 0) {
    const ids = round.cancels.map((i) => batch.cancels[i]!);
    const rows = p.run<[canceled: boolean, revoked: number[], ...task: TaskRow]>('tasks-cancel', [
      ids,
      now,
    ]);
    fills.push(() => {
      const position = new Map(round.cancels.map((i) => [batch.cancels[i]!, i]));
      for (const [canceled, revoked, ...row] of rows.rows) {
        const task = toTaskRecord(row);
        outcome.cancels[position.get(task.id)!] = canceled
          ? { ok: true, task, revoked: revoked.map(Number) }
          : { ok: false, reason: 'not_cancelable', status: task.status };
      }
    });
  }
  if (round.progress.length > 0) {
    const reports = round.progress.map((i) => batch.progress[i]!);
    const rows = p.run<{ token: number }>('tasks-progress', [
      reports.map((x) => x.token),
      reports.map((x) => x.progress),
      now,
    ]);
    fills.push(() => {
      const held = new Set(rows.rows.map((r) => r.token));
      for (const i of round.progress) outcome.progress[i] = held.has(batch.progress[i]!.token);
    });
  }
  return () => {
    for (const fill of fills) fill();
  };
}

/**
 * What a batch tells the other servers, decided before it runs (the NOTIFY goes in the same
 * round trip as the reports): the tasks it reports on or cancels changed, and tasks may have
 * become runnable if it submitted any, or released or failed a unit of a task still open, or
 * completed a unit of an open multi-unit task. A guess that turns out wrong costs the others
 * one look (a claim that finds nothing, a task read again).
 */
function batchNotice(batch: WriteBatch, taskOf: Map<number, number>, locked: LockedTask[]): Notice {
  const info = new Map(locked.map((t) => [t.id, t]));
  const tasksOf = (tokens: number[]) =>
    tokens.flatMap((token) => {
      const id = taskOf.get(token);
      const task = id === undefined ? undefined : info.get(id);
      return task ? [task] : [];
    });
  const completed = tasksOf(batch.completions.map((c) => c.token));
  const givenBack = tasksOf([...batch.failures.map((f) => f.token), ...batch.releases]);
  const progressed = tasksOf(batch.progress.map((p) => p.token));
  const ready =
    batch.submits.length > 0 ||
    givenBack.some((t) => t.open) ||
    completed.some((t) => t.open && t.reps > 1);
  const ids = [...completed, ...givenBack, ...progressed].map((t) => t.id);
  const canceled = new Set(batch.cancels.filter(Number.isSafeInteger));
  const notice: Notice = { ready, ids: [...ids, ...canceled] };
  // The leases a cancel of a running task ends: the servers holding them tell their workers.
  const revoked = [...taskOf].filter(([, id]) => canceled.has(id) && info.get(id)?.open);
  if (revoked.length > 0) notice.revoked = revoked.map(([token]) => token);
  // When the others' timers must wake: a delayed submit's due time, a retry's.
  let due = Number.POSITIVE_INFINITY;
  for (const t of batch.submits) if (t.runAt !== undefined && t.runAt < due) due = t.runAt;
  for (const f of batch.failures) if (f.retryAt < due) due = f.retryAt;
  if (due !== Number.POSITIVE_INFINITY) notice.due = due;
  return notice;
}
