/**
 * Native protocol: JSON-RPC 2.0, one message per line. Every method, its params and its
 * result are declared here once; the server's dispatch and the client are typed from it.
 */

import type { Json } from '../model/tasks.ts';
import type { ErrorCodeValue } from './errors.ts';
import type { ScheduleParams, ScheduleView, TaskSpec, TaskView, TypeView } from './tasks.ts';

export type RpcId = string | number;

export interface RpcErrorObject {
  code: ErrorCodeValue | number;
  message: string;
  data?: unknown;
}

export type RpcResponse<R = unknown> =
  | { jsonrpc: '2.0'; id: RpcId | null; result: R }
  | { jsonrpc: '2.0'; id: RpcId | null; error: RpcErrorObject };

/** What a connected worker reports about itself (the `workers` method). */
export interface WorkerInfo {
  id: string;
  name: string;
  address: string;
  types: string[];
  concurrency: number;
  inFlight: number;
  done: number;
  connectedAt: string;
}

/** A task handed to a worker under a lease. */
export interface Assignment {
  id: string;
  token: string;
  type: string;
  data: Json;
  reps: number;
  attempt: number;
  deadline: number;
  priority?: number;
  key?: string;
  schedule?: string;
}

export interface CompletionItem {
  token: string;
  result?: Json;
  /** Units of work this attempt did (default 1). */
  units?: number;
}

export interface FailureItem {
  token: string;
  error: string;
}

/** A tally's progress (the `tally.*` methods). Timestamps are ISO 8601 strings. */
export interface TallyView {
  id: string;
  name: string | null;
  keys: number;
  reps: number;
  keysDone: number;
  unitsMin: number;
  unitsMax: number;
  unitsTotal: number;
  createdAt: string;
  finishedAt?: string;
  /** From creation to the last key done, or to now while it runs. */
  elapsedMs: number;
  workers: string[];
}

/** Client → server methods, with their params and results. */
export interface Methods {
  /**
   * Presents a token: the first message of a connection to a server with `--auth-file`.
   * `roles`: what the token grants (a server without auth grants every role).
   */
  auth: { params: { token: string }; result: { roles: string[] } };
  ping: {
    params: Record<string, never> | undefined;
    /** `store`: whether this server's store answers (`unavailable` while the database is down). */
    result: { pong: true; server: string; store: 'ok' | 'unavailable' };
  };
  /** `duplicate`: the key was held by task `id`; nothing was submitted. */
  submit: { params: TaskSpec; result: { id: string; duplicate?: true } };
  /** Submits a task and answers once it is finished: one round trip for a result. */
  run: { params: TaskSpec; result: TaskView };
  /** `duplicate[i]` (present when some task was one): task i's key was held by `ids[i]`. */
  submitMany: { params: { tasks: TaskSpec[] }; result: { ids: string[]; duplicate?: boolean[] } };
  status: { params: { id: string; attempts?: boolean }; result: TaskView };
  wait: { params: { id: string; updates?: boolean }; result: TaskView };
  /** Cancels a task not finished yet; a running one's worker is told to stop (revoked). */
  cancel: { params: { id: string }; result: TaskView };
  /** Puts a failed or canceled task back in the queue with a fresh attempt budget. */
  retry: { params: { id: string }; result: TaskView };
  /**
   * Retries every task in `status` (default failed) of `type`, created at or after `since`
   * (ISO 8601), in batches; answers how many.
   */
  retryMany: {
    params: { status?: 'failed' | 'canceled'; type?: string; since?: string } | undefined;
    result: { retried: number };
  };
  /** Stops handing out tasks of a type (running ones finish; new ones queue). */
  pause: { params: { type: string }; result: { type: string; paused: true; changed: boolean } };
  /** Hands out tasks of a paused type again. */
  resume: { params: { type: string }; result: { type: string; paused: false; changed: boolean } };
  /** Every task type with its tasks per status and whether it is paused. */
  types: { params: Record<string, never> | undefined; result: { types: TypeView[] } };
  workers: { params: Record<string, never> | undefined; result: { workers: WorkerInfo[] } };
  'tally.create': {
    params: { keys: number; reps: number; name?: string };
    result: { id: string; created: boolean };
  };
  'tally.status': { params: { id?: string } | undefined; result: TallyView };
  /** Adds a cron schedule, or replaces the one of that name. */
  'schedule.add': { params: ScheduleParams; result: ScheduleView & { created: boolean } };
  'schedule.list': {
    params: Record<string, never> | undefined;
    result: { schedules: ScheduleView[] };
  };
  /** Removes a schedule (the tasks it made stay). */
  'schedule.remove': { params: { name: string }; result: { removed: true } };
  'worker.hello': {
    /** `paused`: registered, but pushed no task until `worker.resume`. */
    params: { name?: string; types: string[]; concurrency: number; paused?: boolean };
    result: { workerId: string; leaseMs: number; heartbeatMs: number };
  };
  /** A worker that said hello `paused` starts taking tasks. */
  'worker.resume': { params: Record<string, never> | undefined; result: { resumed: true } };
  'worker.complete': {
    params: { items: CompletionItem[] };
    result: { accepted: boolean[] };
  };
  'worker.fail': { params: { items: FailureItem[] }; result: { accepted: boolean[] } };
  'worker.extend': { params: { tokens: string[] }; result: { accepted: boolean[] } };
  'worker.progress': { params: { token: string; progress: number }; result: { accepted: boolean } };
}

export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
export type ResultOf<M extends MethodName> = Methods[M]['result'];

/** Server → client notifications (JSON-RPC requests without an id). */
export interface Notifications {
  /** A waited-on task changed status or progress (sent when `wait` asked for updates). */
  'task.update': { task: TaskView };
  /** Tasks leased to this worker connection. */
  'task.assign': { tasks: Assignment[] };
  /**
   * Leases this worker no longer holds: expired, the task was canceled, or the attempt ran
   * past its timeout (it failed with `timeout`). The worker stops them and does not report.
   */
  'task.revoke': { tokens: string[]; reason: RevokeReason };
}

export type NotificationName = keyof Notifications;

/** Why a lease was taken from its worker (see `task.revoke`). */
export type RevokeReason = 'expired' | 'canceled' | 'timeout';

/** A notification as a discriminated union on `method`. */
export type ServerNotification = {
  [N in NotificationName]: { jsonrpc: '2.0'; method: N; params: Notifications[N] };
}[NotificationName];
