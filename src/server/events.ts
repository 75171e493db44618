/** The server's events: tests and logs observe the server through them (server.events). */
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
}
