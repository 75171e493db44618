/**
 * The built-in executor: an in-process worker that runs the registered handlers. It is one
 * worker among others to the scheduler, with the same leases; a timer-based delay never
 * blocks the event loop, so clients are served while a task "computes".
 */

import { settledWithin } from '../../handlers/grace.ts';
import { LazyAbort } from '../../handlers/lazy-abort.ts';
import { runHandler, type TaskHandler, type TaskInput } from '../../handlers/run-handler.ts';
import type { WorkerInfo } from '../../protocol/messages.ts';
import type { Lease } from '../../store/types.ts';
import type { Scheduler, WorkerSlot } from './scheduler.ts';
import type { RevokeReason } from './worker-slot.ts';

/** The abort reason of a task stopped by shutdown: its lease goes back to the queue. */
const SHUTDOWN = new Error('server shutting down');

interface Running {
  lease: Lease;
  abort: LazyAbort;
  done: Promise<void>;
}

export class LocalExecutor implements WorkerSlot {
  readonly id = 'local';
  readonly name = 'local';
  readonly local = true;
  readonly types: readonly string[];
  private readonly running = new Map<number, Running>();
  private scheduler: Scheduler | undefined;
  private stopping = false;

  constructor(
    private readonly handlers: ReadonlyMap<string, TaskHandler>,
    readonly concurrency: number,
    private readonly onError: (error: unknown, context: string) => void,
  ) {
    this.types = [...handlers.keys()];
  }

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
    scheduler.addWorker(this);
  }

  assign(leases: Lease[]): void {
    for (const lease of leases) {
      const abort = new LazyAbort();
      const run: Running = { lease, abort, done: Promise.resolve() };
      run.done = this.run(run).finally(() => this.running.delete(lease.token));
      this.running.set(lease.token, run);
    }
  }

  /** The handler's signal aborts with `lease canceled`, `lease timeout` or `lease expired`. */
  revoke(tokens: number[], reason: RevokeReason): void {
    for (const t of tokens) this.running.get(t)?.abort.abort(new Error(`lease ${reason}`));
  }

  /** Takes no more tasks once stopping (a lease it gives back is not leased to it again). */
  ready(): boolean {
    return !this.stopping;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** The executor as the `workers` listing shows it. */
  info(): WorkerInfo | undefined {
    const s = this.scheduler?.stats(this.id);
    if (!s) return undefined;
    return {
      id: this.id,
      name: this.name,
      address: 'in-process',
      types: [...this.types],
      concurrency: this.concurrency,
      inFlight: s.inFlight,
      done: s.done,
      connectedAt: new Date(s.since).toISOString(),
    };
  }

  /**
   * Stops taking tasks: running ones get `graceMs` to finish, then they are aborted and
   * their leases go back to the queue.
   */
  async stop(graceMs: number): Promise<void> {
    const scheduler = this.scheduler;
    if (!scheduler) return;
    this.stopping = true;
    const running = [...this.running.values()].map((r) => r.done);
    if (!(await settledWithin(running, graceMs))) {
      for (const r of this.running.values()) r.abort.abort(SHUTDOWN);
      await Promise.allSettled(running);
    }
    await scheduler.removeWorker(this.id);
  }

  private async run(run: Running): Promise<void> {
    const { lease, abort } = run;
    const scheduler = this.scheduler!;
    const input: TaskInput = {
      id: String(lease.taskId),
      type: lease.type,
      data: lease.data,
      reps: lease.reps,
      attempt: lease.attempt,
      priority: lease.priority,
    };
    if (lease.key !== null) input.key = lease.key;
    if (lease.schedule !== null) input.schedule = lease.schedule;
    const ran = runHandler(
      this.handlers.get(lease.type),
      input,
      abort,
      (f) =>
        void scheduler
          .progress(this.id, lease.token, f)
          .catch((e: unknown) => this.onError(e, 'progress')),
      `no handler for type ${lease.type}`,
    );
    const outcome = ran instanceof Promise ? await ran : ran;
    const { token } = lease;
    const report = this.onError;
    switch (outcome.kind) {
      case 'done':
        await scheduler
          .complete(this.id, token, outcome.result, outcome.units)
          .catch((e: unknown) => report(e, 'complete'));
        return;
      case 'failed':
        await scheduler
          .fail(this.id, token, outcome.message)
          .catch((e: unknown) => report(e, 'fail'));
        return;
      case 'aborted':
        // Revoked (the lease is gone) or shutting down (the lease goes back now).
        if (outcome.reason === SHUTDOWN) {
          await scheduler.release(this.id, token).catch((e: unknown) => report(e, 'release'));
        }
        return;
    }
  }
}
