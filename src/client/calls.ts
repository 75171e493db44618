/**
 * A client's calls that have no answer yet: queued while there is no connection, in flight
 * by request id on the current one, and the pending waits by task id (where pushed
 * `task.update`s go). Settling a call forgets it everywhere at once.
 */

import { ErrorCode } from '../protocol/errors.ts';
import type { TaskView } from '../protocol/tasks.ts';
import type { RpcError } from './errors.ts';

export interface PendingCall {
  method: string;
  params: unknown;
  /** The request id on the current connection; undefined while queued. */
  id: number | undefined;
  settled: boolean;
  /** Length of the request line sent, in UTF-16 units; its bytes too when it is long. */
  chars?: number;
  bytes?: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  wait?: WaitState;
}

export interface WaitState {
  taskId: string;
  onUpdate: ((task: TaskView) => void) | undefined;
  /** The last update delivered, to drop repeats (e.g. after a resent wait). */
  lastUpdate: string | undefined;
  detach: (() => void) | undefined;
}

/** Request lines longer than this (UTF-16 units) have their byte length measured. */
const LONG_LINE_CHARS = 16 * 1024;

export class PendingCalls {
  /** Calls waiting for a connection, in call order. */
  queued: PendingCall[] = [];
  private readonly inflight = new Map<number, PendingCall>();
  /** Pending waits by task id, for routing `task.update`. */
  private readonly waits = new Map<string, Set<PendingCall>>();

  /** A new call, not sent yet; its wait (if any) starts receiving updates at once. */
  add(call: PendingCall): void {
    const wait = call.wait;
    if (!wait) return;
    let set = this.waits.get(wait.taskId);
    if (!set) {
      set = new Set();
      this.waits.set(wait.taskId, set);
    }
    set.add(call);
  }

  /** The call was sent as request `id` on `line`. */
  sent(call: PendingCall, id: number, line: string): void {
    call.id = id;
    call.chars = line.length;
    // Measured only for long lines: a refused over-long line can then be told apart from the
    // calls that were merely in flight when the server closed (see overLimit).
    if (line.length > LONG_LINE_CHARS) call.bytes = Buffer.byteLength(line);
    this.inflight.set(id, call);
  }

  inFlight(id: number): PendingCall | undefined {
    return this.inflight.get(id);
  }

  /** Every call in flight, taken off the connection (it closed): they have no id any more. */
  takeInFlight(): PendingCall[] {
    const calls = [...this.inflight.values()];
    this.inflight.clear();
    for (const call of calls) call.id = undefined;
    return calls;
  }

  /** Every call queued, taken off the queue. */
  takeQueued(): PendingCall[] {
    const calls = this.queued;
    this.queued = [];
    return calls;
  }

  /** The pending call of a wait, if it is still pending. */
  findWait(wait: WaitState): PendingCall | undefined {
    for (const call of this.waits.get(wait.taskId) ?? []) if (call.wait === wait) return call;
    return undefined;
  }

  /** The pending waits on a task. */
  waitsOn(taskId: string): PendingCall[] {
    return [...(this.waits.get(taskId) ?? [])];
  }

  /** Hands a pushed `task.update` to the waits on that task that asked for updates. */
  update(task: TaskView): void {
    const key = `${task.status}|${task.progress}|${task.unitsDone}|${task.updatedAt}`;
    for (const call of this.waitsOn(task.id)) {
      const wait = call.wait!;
      if (!wait.onUpdate || wait.lastUpdate === key) continue;
      wait.lastUpdate = key;
      try {
        wait.onUpdate(task);
      } catch (err) {
        this.reject(call, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  resolve(call: PendingCall, value: unknown): void {
    if (call.settled) return;
    this.forget(call);
    call.resolve(value);
  }

  reject(call: PendingCall | undefined, error: Error): void {
    if (!call || call.settled) return;
    this.forget(call);
    call.reject(error);
  }

  /** Forgets a call that is being resolved or rejected. */
  private forget(call: PendingCall): void {
    call.settled = true;
    if (call.id !== undefined) {
      if (this.inflight.get(call.id) === call) this.inflight.delete(call.id);
    } else {
      const i = this.queued.indexOf(call);
      if (i !== -1) this.queued.splice(i, 1);
    }
    const wait = call.wait;
    if (wait) {
      wait.detach?.();
      const set = this.waits.get(wait.taskId);
      set?.delete(call);
      if (set?.size === 0) this.waits.delete(wait.taskId);
    }
  }
}

/**
 * Whether the server's LINE_TOO_LONG (its `data.limit` in bytes) was for this call's line:
 * surely so when the line is over the limit; a call that may have fit is not said refused.
 * TOO_MANY_CONNECTIONS refused every call of the connection: none was read.
 */
export function overLimit(call: PendingCall, refusal: RpcError): boolean {
  if (refusal.code === ErrorCode.TOO_MANY_CONNECTIONS) return true;
  const limit = (refusal.data as { limit?: unknown } | undefined)?.limit;
  if (typeof limit !== 'number') return false;
  const bytes = call.bytes ?? call.chars ?? 0;
  return bytes > limit;
}
