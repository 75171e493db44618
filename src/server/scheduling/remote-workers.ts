/**
 * Remote workers: connections that said `worker.hello`. Each is a worker slot with the
 * concurrency it declared; tasks are pushed to it as `task.assign` notifications while it
 * has free capacity and its socket drains. A worker that stays silent past the heartbeat
 * timeout (a vanished machine, a half-open connection) is dropped and its leases go back.
 */

import type { TypedEmitter } from '../../events/emitter.ts';
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import type {
  Assignment,
  NotificationName,
  Notifications,
  ParamsOf,
  ResultOf,
  WorkerInfo,
} from '../../protocol/messages.ts';
import type { Lease } from '../../store/types.ts';
import type { ServerEvents } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { Scheduler, WorkerSlot } from './scheduler.ts';
import type { TaskTypes } from './task-types.ts';
import type { RevokeReason } from './worker-slot.ts';

/** The worker methods of a connection, once it said `worker.hello`. */
export interface WorkerMethods {
  complete(params: ParamsOf<'worker.complete'>): Promise<ResultOf<'worker.complete'>>;
  fail(params: ParamsOf<'worker.fail'>): Promise<ResultOf<'worker.fail'>>;
  extend(params: ParamsOf<'worker.extend'>): Promise<ResultOf<'worker.extend'>>;
  progress(params: ParamsOf<'worker.progress'>): Promise<ResultOf<'worker.progress'>>;
  resume(): Promise<ResultOf<'worker.resume'>>;
}

/** What a remote worker needs of its connection (session/connection.ts is one). */
export interface WorkerConnection {
  readonly remote: string;
  /** When bytes last arrived: a worker silent for three heartbeats is dropped. */
  readonly lastSeen: number;
  /** Whether the socket takes our writes (false while its buffer is over the mark). */
  readonly writable: boolean;
  worker?: WorkerMethods;
  notify<N extends NotificationName>(method: N, params: Notifications[N]): void;
  onClose(fn: () => void): () => void;
  /** Calls `fn` each time the socket's write buffer drains. */
  onDrain(fn: () => void): void;
  /** Drops the connection at once. */
  destroy(): void;
}

export interface RemoteWorkersOptions {
  leaseMs: number;
  now: () => number;
}

function toAssignment(l: Lease): Assignment {
  const a: Assignment = {
    id: String(l.taskId),
    token: String(l.token),
    type: l.type,
    data: l.data,
    reps: l.reps,
    attempt: l.attempt,
    deadline: l.deadline,
  };
  // Only when set: most tasks have none, and every byte goes to every worker.
  if (l.priority !== 0) a.priority = l.priority;
  if (l.key !== null) a.key = l.key;
  if (l.schedule !== null) a.schedule = l.schedule;
  return a;
}

function tokenOf(text: string): number {
  return /^[0-9]{1,15}$/.test(text) ? Number(text) : -1;
}

class RemoteWorker implements WorkerSlot {
  readonly local = false;
  readonly connectedAt: number;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly types: readonly string[],
    readonly concurrency: number,
    readonly conn: WorkerConnection,
    now: number,
  ) {
    this.connectedAt = now;
  }

  assign(leases: Lease[]): void {
    this.conn.notify('task.assign', { tasks: leases.map(toAssignment) });
  }

  revoke(tokens: number[], reason: RevokeReason): void {
    this.conn.notify('task.revoke', { tokens: tokens.map(String), reason });
    // The worker library heartbeats every third of a lease: a lease that expired means the
    // worker missed three beats (frozen, or its machine vanished). Drop it rather than hand
    // it the task again; its other leases go back with the connection.
    if (reason === 'expired') this.conn.destroy();
  }

  /** Said hello `paused`, and has not said `worker.resume` yet. */
  paused = false;

  ready(): boolean {
    return !this.paused && this.conn.writable;
  }
}

export class RemoteWorkers {
  private readonly workers = new Map<string, RemoteWorker>();
  private seq = 0;
  private readonly heartbeatMs: number;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly types: TaskTypes,
    private readonly events: TypedEmitter<ServerEvents>,
    private readonly log: Logger,
    private readonly opts: RemoteWorkersOptions,
  ) {
    this.heartbeatMs = Math.max(50, Math.floor(opts.leaseMs / 3));
    // One timer for all workers: drops those silent for three heartbeats.
    this.watchdog = setInterval(() => this.dropSilent(), this.heartbeatMs);
    this.watchdog.unref();
  }

  /**
   * Makes the connection a worker. Answers once the types it declared are recorded in the
   * store (a producer on any server may then submit them), or failed to be: it is a worker
   * all the same.
   */
  async hello(
    conn: WorkerConnection,
    params: ParamsOf<'worker.hello'>,
  ): Promise<ResultOf<'worker.hello'>> {
    if (conn.worker)
      throw new TaskwireError(ErrorCode.INVALID_REQUEST, 'this connection is already a worker');
    const id = `w${++this.seq}`;
    const name = params.name ?? `worker-${this.seq}`;
    const worker = new RemoteWorker(
      id,
      `${name}@${conn.remote}`,
      params.types,
      params.concurrency,
      conn,
      this.opts.now(),
    );
    worker.paused = params.paused === true;
    this.workers.set(id, worker);
    const declared = this.types
      .declare(params.types)
      .catch((error: unknown) =>
        this.log.error({ err: error, types: params.types }, 'recording declared task types failed'),
      );
    conn.worker = this.methods(worker);
    conn.onClose(() => void this.remove(worker, 'disconnected'));
    conn.onDrain(() => this.scheduler.workerReady());
    this.scheduler.addWorker(worker);
    this.events.emit('worker:joined', { workerId: id, name: worker.name });
    this.log.info(
      { worker: id, name: worker.name, types: params.types, concurrency: params.concurrency },
      'worker joined',
    );
    await declared;
    return { workerId: id, leaseMs: this.opts.leaseMs, heartbeatMs: this.heartbeatMs };
  }

  list(): WorkerInfo[] {
    return [...this.workers.values()].map((w) => {
      const s = this.scheduler.stats(w.id);
      return {
        id: w.id,
        name: w.name.split('@')[0]!,
        address: w.conn.remote,
        types: [...w.types],
        concurrency: w.concurrency,
        inFlight: s?.inFlight ?? 0,
        done: s?.done ?? 0,
        connectedAt: new Date(w.connectedAt).toISOString(),
      };
    });
  }

  /** Gives back every remote lease (server shutdown). */
  async closeAll(): Promise<void> {
    clearInterval(this.watchdog);
    await Promise.all([...this.workers.values()].map((w) => this.remove(w, 'server closing')));
  }

  private async remove(worker: RemoteWorker, why: string): Promise<void> {
    if (!this.workers.delete(worker.id)) return;
    const held = this.scheduler.inFlightOf(worker.id).length;
    await this.scheduler.removeWorker(worker.id);
    this.events.emit('worker:left', { workerId: worker.id, name: worker.name });
    this.log.info({ worker: worker.id, name: worker.name, why, released: held }, 'worker left');
  }

  private dropSilent(): void {
    const limit = Date.now() - 3 * this.heartbeatMs;
    for (const w of this.workers.values()) {
      if (w.conn.lastSeen < limit) {
        this.log.warn(
          { worker: w.id, name: w.name },
          'worker silent past its heartbeat timeout; dropping it',
        );
        w.conn.destroy();
      }
    }
  }

  private methods(w: RemoteWorker): WorkerMethods {
    const s = this.scheduler;
    return {
      complete: async ({ items }) => ({
        accepted: await s.completeMany(
          w.id,
          items.map((i) => ({ token: tokenOf(i.token), result: i.result, units: i.units ?? 1 })),
        ),
      }),
      fail: async ({ items }) => ({
        accepted: await Promise.all(items.map((i) => s.fail(w.id, tokenOf(i.token), i.error))),
      }),
      extend: async ({ tokens }) => ({ accepted: await s.extend(w.id, tokens.map(tokenOf)) }),
      progress: async ({ token, progress }) => ({
        accepted: await s.progress(w.id, tokenOf(token), progress),
      }),
      resume: async () => {
        w.paused = false;
        s.workerReady();
        return { resumed: true };
      },
    };
  }
}
