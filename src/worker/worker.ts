/**
 * The worker library: connects to a taskwire server, declares the task types it runs and how
 * many at once, and runs what the server pushes. Completions made in one microtask go out as
 * one `worker.complete`; heartbeats extend the leases of long tasks; a lost connection
 * aborts running tasks (their leases went back to the queue) and reconnects with backoff.
 */
import { Client, type ClientOptions } from '../client/client.ts';
import { AuthError, ForbiddenError } from '../client/errors.ts';
import { TypedEmitter } from '../events/emitter.ts';
import { settledWithin } from '../handlers/grace.ts';
import { LazyAbort } from '../handlers/lazy-abort.ts';
import { runHandler, type TaskHandler, type TaskInput } from '../handlers/run-handler.ts';
import type {
  Assignment,
  CompletionItem,
  FailureItem,
  ServerNotification,
} from '../protocol/messages.ts';

/**
 * `host`/`port`, or `addresses` (a list of servers sharing one database, see ClientOptions):
 * the worker connects to one of them and, when it drops, fails over to the next one and
 * registers there again.
 */
export interface WorkerOptions
  extends Pick<
    ClientOptions,
    'host' | 'port' | 'addresses' | 'order' | 'connectTimeoutMs' | 'token' | 'tls'
  > {
  name?: string;
  /** Tasks run at once (default 1). */
  concurrency?: number;
  /**
   * Take tasks as soon as `start()` registers (default true). With false, `start()` connects
   * and registers but the server pushes no task until `run()`.
   */
  autorun?: boolean;
}

export interface WorkerEvents {
  'task:started': { id: string; type: string; token: string };
  'task:finished': { id: string; token: string; accepted: boolean; error?: string };
  'task:aborted': { id: string; token: string; reason: string };
  /** The server at `address` (`host:port`) accepted the worker. */
  'worker:registered': { workerId: string; reconnected: boolean; address: string };
  /** The connection to `address` dropped: running tasks are aborted, the worker reconnects. */
  'worker:disconnected': { address: string; error: Error | undefined };
  /**
   * The server refused the token (AuthError) or its roles (ForbiddenError, on a
   * re-registration): the worker stopped and does not reconnect.
   */
  'worker:refused': { error: Error };
  /** Something failed in the background (a heartbeat, a progress report, a re-registration). */
  'worker:error': { error: Error; context: string };
}

/** A Running's `done` until its execution starts (one shared promise, not one per task). */
const NOT_STARTED: Promise<void> = Promise.resolve();

interface Running {
  task: Assignment;
  abort: LazyAbort;
  done: Promise<void>;
}

export class Worker extends TypedEmitter<WorkerEvents> {
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly running = new Map<string, Running>();
  private client: Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly completions = new ReportBatcher<CompletionItem>((items) =>
    this.client!.call('worker.complete', { items }),
  );
  private readonly failures = new ReportBatcher<FailureItem>((items) =>
    this.client!.call('worker.fail', { items }),
  );
  private closing: Promise<void> | undefined;
  /** Finished tasks, accepted by the server or refused as stale, and the units accepted. */
  readonly counts = { done: 0, failed: 0, refused: 0, units: 0 };

  /** Whether the server may push tasks (false until `run()` with `autorun: false`). */
  private taking: boolean;

  constructor(private readonly opts: WorkerOptions = {}) {
    super();
    this.taking = opts.autorun !== false;
  }

  /** Registers the handler of a task type; call before `start()`. */
  handle(type: string, handler: TaskHandler): this {
    this.handlers.set(type, handler);
    return this;
  }

  /** Connects and registers; resolves once the server accepted the worker. */
  async start(): Promise<void> {
    if (this.handlers.size === 0) throw new Error('register at least one handler before start()');
    const client = await Client.connect({ ...this.opts, reconnect: true });
    this.client = client;
    client.on('server:notification', (n) => this.onNotification(n));
    client.on('connection:lost', ({ address, error }) => {
      this.abortAll('connection lost');
      this.emit('worker:disconnected', { address, error });
    });
    client.on('connection:opened', ({ reconnected }) => {
      if (reconnected) void this.register(true).catch((e: unknown) => this.report(e, 'register'));
    });
    client.on('connection:refused', ({ error }) => this.refused(error));
    try {
      await this.register(false);
    } catch (error) {
      // A token without the worker role: no point staying connected.
      await client.close();
      throw error;
    }
  }

  /** Stops for good: the server refused the token or the worker role. */
  private refused(error: Error): void {
    if (this.closing) return;
    this.emit('worker:refused', { error });
    void this.close(0);
  }

  /**
   * Starts taking tasks: registers first if `start()` was not called, and with
   * `autorun: false` tells the server to begin pushing.
   */
  async run(): Promise<void> {
    if (!this.client) {
      this.taking = true;
      await this.start();
      return;
    }
    if (this.taking) return;
    this.taking = true;
    await this.client.call('worker.resume');
  }

  get inFlight(): number {
    return this.running.size;
  }

  /**
   * Stops: running tasks get `graceMs` to finish and report, then they are aborted and the
   * connection closes, which gives their leases back to the server at once.
   */
  close(graceMs = 10_000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(graceMs: number): Promise<void> {
    clearInterval(this.heartbeat);
    const running = [...this.running.values()].map((r) => r.done);
    if (!(await settledWithin(running, graceMs))) this.abortAll('worker shutting down');
    await Promise.allSettled(running);
    await this.client?.close();
  }

  private async register(reconnected: boolean): Promise<void> {
    const client = this.client!;
    const hello = await client.call('worker.hello', {
      ...(this.opts.name ? { name: this.opts.name } : {}),
      types: [...this.handlers.keys()],
      concurrency: this.opts.concurrency ?? 1,
      ...(this.taking ? {} : { paused: true }),
    });
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.beat(), hello.heartbeatMs);
    this.heartbeat.unref();
    this.emit('worker:registered', {
      workerId: hello.workerId,
      reconnected,
      address: client.address,
    });
  }

  /**
   * Extends the leases of running tasks. An idle worker just says it is alive, with a `ping`
   * notification: the server counts any line as a sign of life and answers nothing, so an
   * idle beat costs it one read and no write, and no answer wakes this process.
   */
  private beat(): void {
    const client = this.client;
    if (!client?.connected) return;
    const tokens = [...this.running.keys()];
    if (tokens.length === 0) {
      client.notify('ping');
      return;
    }
    client.call('worker.extend', { tokens }).catch((e: unknown) => this.report(e, 'heartbeat'));
  }

  private onNotification(n: ServerNotification): void {
    switch (n.method) {
      case 'task.assign':
        for (const task of n.params.tasks) this.take(task);
        return;
      case 'task.revoke':
        for (const token of n.params.tokens) {
          const r = this.running.get(token);
          if (r) r.abort.abort(new Error(`lease ${n.params.reason}`));
        }
        return;
      case 'task.update':
        return;
    }
  }

  private take(task: Assignment): void {
    if (this.closing) return; // not taken; the lease goes back when the connection closes
    const abort = new LazyAbort();
    // In the table before the handler starts, so that it counts in `inFlight` from its start.
    const running: Running = { task, abort, done: NOT_STARTED };
    this.running.set(task.token, running);
    if (this.listens('task:started')) {
      this.emit('task:started', { id: task.id, type: task.type, token: task.token });
    }
    running.done = this.execute(task, abort);
  }

  /** Runs one task and reports it; every event payload is built only for a listener. */
  private async execute(task: Assignment, abort: LazyAbort): Promise<void> {
    const { id, token } = task;
    try {
      const handler = this.handlers.get(task.type);
      const input: TaskInput = {
        id,
        type: task.type,
        data: task.data,
        reps: task.reps,
        attempt: task.attempt,
        priority: task.priority ?? 0,
      };
      if (task.key !== undefined) input.key = task.key;
      if (task.schedule !== undefined) input.schedule = task.schedule;
      const ran = runHandler(
        handler,
        input,
        abort,
        (fraction) => {
          this.client
            ?.call('worker.progress', { token, progress: Math.min(1, Math.max(0, fraction)) })
            .catch((e: unknown) => this.report(e, 'progress'));
        },
        handler ? '' : `this worker has no handler for ${task.type}`,
      );
      const outcome = ran instanceof Promise ? await ran : ran;
      if (outcome.kind === 'aborted') {
        const reason = outcome.reason instanceof Error ? outcome.reason.message : 'aborted';
        this.emit('task:aborted', { id, token, reason });
        return;
      }
      if (outcome.kind === 'failed') {
        const error = outcome.message;
        const { answer, index } = this.failures.add({ token, error });
        const accepted = (await answer)[index] ?? false;
        this.counts[accepted ? 'failed' : 'refused'] += 1;
        this.emit('task:finished', { id, token, accepted, error });
        return;
      }
      if (abort.aborted) return; // the lease is gone: a report would be refused anyway
      const item: CompletionItem = { token, units: outcome.units };
      if (outcome.result !== undefined) item.result = outcome.result;
      const { answer, index } = this.completions.add(item);
      const accepted = (await answer)[index] ?? false;
      this.counts[accepted ? 'done' : 'refused'] += 1;
      if (accepted) this.counts.units += outcome.units;
      if (this.listens('task:finished')) this.emit('task:finished', { id, token, accepted });
    } finally {
      this.running.delete(token);
    }
  }

  private abortAll(reason: string): void {
    for (const r of this.running.values()) r.abort.abort(new Error(reason));
  }

  private report(error: unknown, context: string): void {
    if (error instanceof AuthError || error instanceof ForbiddenError) {
      this.refused(error);
      return;
    }
    this.emit('worker:error', {
      error: error instanceof Error ? error : new Error(String(error)),
      context,
    });
  }
}

/**
 * Gathers the reports made in one microtask and sends them as one call; each caller learns
 * whether its own item was accepted. A failed call counts as "not accepted" for all.
 */
class ReportBatcher<T> {
  private items: T[] = [];
  private settle: ((accepted: boolean[]) => void) | undefined;
  private batch: Promise<boolean[]> | undefined;

  constructor(private readonly send: (items: T[]) => Promise<{ accepted: boolean[] }>) {}

  /**
   * Adds a report to the current batch; `answer` resolves with the batch's verdicts, this
   * report's at `index`. (One promise per batch, not one per report: a worker reports
   * thousands of tasks a second.)
   */
  add(item: T): { answer: Promise<boolean[]>; index: number } {
    const index = this.items.push(item) - 1;
    if (!this.batch) {
      this.batch = new Promise((resolve) => {
        this.settle = resolve;
      });
      queueMicrotask(() => this.flush());
    }
    return { answer: this.batch, index };
  }

  private flush(): void {
    const items = this.items;
    const settle = this.settle!;
    this.items = [];
    this.batch = undefined;
    this.settle = undefined;
    this.send(items).then(
      (r) => settle(r.accepted),
      () => settle([]),
    );
  }
}
