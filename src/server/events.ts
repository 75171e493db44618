/** The server's events: tests and logs observe the server through them (server.events). */
import type { TaskStatus } from '../model/tasks.ts';
import type { PrunedTask } from '../store/retention.ts';
import type { TaskRecord } from '../store/types.ts';

/** Why a connection is no longer read (see ReadGate). */
export type PauseReason = 'unread-answers' | 'requests-in-flight';

export interface ServerEvents {
  'task:submitted': { ids: number[] };
  'task:leased': {
    taskId: number;
    token: number;
    worker: string;
    type: string;
    reps: number;
    readyAt: number;
  };
  'task:changed': { task: TaskRecord };
  /** An operator put finished tasks back in the queue (`was`: failed or canceled). */
  'task:retried': { tasks: { id: number; type: string; was: TaskStatus }[]; by: string };
  /** The paused task types changed (here, or on another server sharing the store). */
  'types:paused': { paused: string[] };
  /** Scheduled tasks came due: they are enqueued now. */
  'task:due': { tasks: { id: number; type: string }[] };
  /** A schedule's tick made its task (`duplicate`: the tick's task existed already). */
  'schedule:ticked': { name: string; at: number; taskId: number; duplicate: boolean };
  /** Retention deleted these finished tasks (a tally's with it) and tallies. */
  'task:pruned': { tasks: PrunedTask[]; tallies: number[] };
  'lease:expired': { token: number; taskId: number; worker: string };
  'lease:stale': { token: number; worker: string };
  'worker:joined': { workerId: string; name: string };
  'worker:left': { workerId: string; name: string };
  'connection:opened': { remote: string };
  'connection:closed': { remote: string; midLine: boolean };
  /** The connection is no longer read (flow control, see ReadGate), until `resumed`. */
  'connection:paused': { remote: string; reason: PauseReason };
  'connection:resumed': { remote: string };
  /** A task-port connection authenticated (see server/auth/). */
  'auth:accepted': { remote: string; roles: readonly string[] };
  /**
   * A connection is closed for want of a valid token: a wrong one (`failures`: from its
   * address lately), none in time, a request before auth, a removed token, a seed line.
   */
  'auth:refused': {
    remote: string;
    reason: 'unknown-token' | 'timeout' | 'not-authenticated' | 'revoked' | 'legacy';
    failures?: number;
  };
  /** An auth attempt waits this long before it is checked (earlier failures from its address). */
  'auth:delayed': { remote: string; delayMs: number };
  /** A request outside the token's roles (answered FORBIDDEN). */
  'auth:forbidden': { remote: string; method: string };
  /** SIGHUP read the auth file again (`error`: it was bad, the old tokens stay). */
  'auth:reloaded': { tokens: number; added: number; removed: number } | { error: string };
}
