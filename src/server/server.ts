/**
 * The taskwire server: one TCP port, a store, a scheduler, the built-in executor and the
 * connections. `start()` opens everything, `close()` (safe to call twice) drains it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TypedEmitter } from '../events/emitter.ts';
import { builtinHandlers } from '../handlers/builtin-handlers.ts';
import type { TaskHandler } from '../handlers/run-handler.ts';
import type { ParamsOf, ResultOf, WorkerInfo } from '../protocol/messages.ts';
import { SqliteStore } from '../store/sqlite/store.ts';
import type { Store, TaskRecord, TaskState, WriteBatch, WriteOutcome } from '../store/types.ts';
import { hasWrites, isRecord } from '../store/types.ts';
import { Committer } from './committer.ts';
import { Connection } from './connection.ts';
import type { Core } from './dispatch.ts';
import type { ServerEvents } from './events.ts';
import { LegacyTallyListener } from './legacy-tally.ts';
import { LocalExecutor } from './local-executor.ts';
import { type Logger, silentLogger } from './logger.ts';
import { RemoteWorkers } from './remote-workers.ts';
import { Scheduler } from './scheduler.ts';
import { StoreHealth } from './store-health.ts';
import { StoreSync } from './store-sync.ts';
import { TaskTypes } from './task-types.ts';
import { Waiters } from './waiters.ts';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A store instance (e.g. from `openStoreFromOption`); when absent, SQLite at `db`. */
  store?: Store;
  db?: string;
  fsync?: boolean;
  delayScale?: number;
  /** Tasks the built-in executor runs at once. */
  concurrency?: number;
  /** Run the built-in executor (default true). */
  local?: boolean;
  /** Extra handlers for the built-in executor, by task type. */
  handlers?: ReadonlyMap<string, TaskHandler>;
  leaseMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  maxLineBytes?: number;
  /**
   * Requests one connection may have in flight (waits included) before the server stops
   * reading it; it reads again once half of them are answered.
   */
  maxInFlight?: number;
  /** How long running tasks get to finish on close before they go back to the queue. */
  graceMs?: number;
  /** Opens the legacy tally port (seed-003 workers) on a tally of `keys` × `reps`. */
  tally?: { port: number; keys: number; reps: number };
  logger?: Logger;
  now?: () => number;
  /** Aborting it closes the server. */
  signal?: AbortSignal;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 5000,
  db: 'taskwire.db',
  delayScale: 1,
  concurrency: 1,
  leaseMs: 30_000,
  maxAttempts: 3,
  retryBaseMs: 1000,
  maxLineBytes: 1024 * 1024,
  maxInFlight: 16_384,
  graceMs: 10_000,
};

export class TaskwireServer {
  readonly events = new TypedEmitter<ServerEvents>();
  readonly log: Logger;
  private readonly opts: ServerOptions & typeof DEFAULTS;
  private readonly store: Store;
  private readonly now: () => number;
  private net: Server | undefined;
  private scheduler: Scheduler | undefined;
  private committer: Committer | undefined;
  private local: LocalExecutor | undefined;
  private remote: RemoteWorkers | undefined;
  private legacy: LegacyTallyListener | undefined;
  private sync: StoreSync | undefined;
  /** Whether the store answers (reported by `ping`). */
  readonly health: StoreHealth;
  private readonly connections = new Set<Connection>();
  private closing = false;
  private closePromise: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    this.opts = { ...DEFAULTS, ...stripUndefined(options) };
    this.log = options.logger ?? silentLogger();
    this.now = options.now ?? Date.now;
    this.store =
      options.store ?? new SqliteStore({ path: this.opts.db, fsync: options.fsync ?? false });
    this.health = new StoreHealth((status, error) => {
      if (status === 'ok') {
        this.log.warn('the store is available again; resuming');
        this.scheduler?.workAppeared();
      } else {
        this.log.error({ error }, 'the store is unavailable; requests fail until it is back');
      }
    });
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Opens the store, recovers leases left by a crash, and starts listening. */
  async start(): Promise<{ host: string; port: number }> {
    const { opts, store, now, log } = this;
    await store.open();
    if (store.capabilities.exclusive) {
      const released = await store.releaseAll(now());
      if (released > 0)
        log.info(
          { released },
          'tasks that were running when the server stopped go back to the queue',
        );
    }
    const waiters = new Waiters();
    const health = this.health;
    const committer = new Committer(store, {
      now,
      onCommit: (b, o) => {
        health.ok(hasWrites(b));
        this.onCommit(b, o, waiters);
      },
      onFailure: (error) => health.failed(error),
      // A report comes back as the whole task only for somebody who will look at it.
      full: (id) => waiters.has(id) || this.events.listens('task:changed'),
    });
    const onError = (error: unknown, context: string) => {
      health.failed(error);
      log.error({ err: error, context }, 'background work failed');
    };
    const scheduler = new Scheduler(store, committer, this.events, {
      leaseMs: opts.leaseMs,
      sweepMs: Math.min(1000, Math.max(20, Math.floor(opts.leaseMs / 4))),
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: 60_000,
      now,
      onTaskChanged: (t) => waiters.changed(t),
      // Intermediate changes (started, progress) are read only for waiters who want them.
      isWatched: (id) => waiters.wantsUpdates(id),
      onError,
      onSweep: () => health.ok(false),
    });
    const handlers = new Map([...builtinHandlers(opts.delayScale), ...(opts.handlers ?? [])]);
    const types = new TaskTypes(
      opts.local === false ? [] : handlers.keys(),
      opts.maxAttempts,
      !store.capabilities.exclusive,
    );
    this.committer = committer;
    this.scheduler = scheduler;
    this.remote = new RemoteWorkers(scheduler, types, this.events, log, {
      leaseMs: opts.leaseMs,
      now,
    });
    const core: Core = {
      store,
      committer,
      scheduler,
      waiters,
      types,
      serverName: `taskwire ${process.pid}`,
      maxAttempts: opts.maxAttempts,
      now,
      listWorkers: () => this.listWorkers(),
      storeStatus: () => health.status,
    };
    if (opts.local !== false) {
      this.local = new LocalExecutor(handlers, opts.concurrency, onError);
      this.local.attach(scheduler);
    }
    await scheduler.start();
    this.sync = new StoreSync(store, scheduler, waiters, onError);
    this.sync.start();
    if (opts.tally) {
      this.legacy = new LegacyTallyListener(store, scheduler, log, {
        host: opts.host,
        ...opts.tally,
        maxAttempts: opts.maxAttempts,
        now,
        events: this.events,
      });
      this.tallyAddress = await this.legacy.start();
    }
    this.net = createServer((socket) => this.accept(socket, core));
    await new Promise<void>((resolve, reject) => {
      this.net!.once('error', reject);
      // A deep accept queue: a thousand clients connecting at once are not dropped by the
      // kernel (Node's default is 511; the kernel caps it at somaxconn).
      this.net!.listen({ port: opts.port, host: opts.host, backlog: 4096 }, () => {
        this.net!.off('error', reject);
        resolve();
      });
    });
    const address = this.address;
    log.info(
      { ...address, store: store.constructor.name, local: opts.local !== false },
      'listening',
    );
    return address;
  }

  /** Where the legacy tally listener listens, when it was asked for. */
  tallyAddress: { host: string; port: number } | undefined;

  get address(): { host: string; port: number } {
    const a = this.net?.address();
    if (!a || typeof a === 'string') throw new Error('the server is not listening');
    return { host: a.address, port: a.port };
  }

  /**
   * Stops accepting, lets running tasks finish (or puts them back in the queue after the
   * grace period), commits what is pending and closes the store. Safe to call twice.
   */
  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.log.info('shutting down');
    const failures: unknown[] = [];
    const step = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (error) {
        failures.push(error);
      }
    };
    const listening = this.net
      ? new Promise<void>((resolve) => this.net!.close(() => resolve()))
      : undefined;
    await step(() => this.legacy?.close());
    await step(() => this.local?.stop(this.opts.graceMs));
    await step(() => this.remote?.closeAll());
    this.scheduler?.stop();
    this.sync?.stop();
    await step(() => this.committer?.drain());
    for (const c of this.connections) c.end();
    for (const c of this.connections) c.socket.destroySoon();
    await step(() => listening);
    await step(() => this.store.close());
    this.log.info('closed');
    if (failures.length > 0)
      throw new AggregateError(failures, 'taskwire server closed with errors');
  }

  private accept(socket: Socket, core: Core): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, {
      core,
      maxLineBytes: this.opts.maxLineBytes,
      maxInFlight: this.opts.maxInFlight,
      log: this.log,
      events: this.events,
      closing: () => this.closing,
      helloWorker: (c, params: ParamsOf<'worker.hello'>): ResultOf<'worker.hello'> =>
        this.remote!.hello(c, params),
    });
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
    this.events.emit('connection:opened', { remote: conn.remote });
    this.log.info({ remote: conn.remote }, 'client connected');
  }

  private listWorkers(): WorkerInfo[] {
    const list = this.remote?.list() ?? [];
    if (this.local && this.scheduler) {
      const s = this.scheduler.stats(this.local.id);
      if (s) {
        list.unshift({
          id: this.local.id,
          name: this.local.name,
          address: 'in-process',
          types: [...this.local.types],
          concurrency: this.local.concurrency,
          inFlight: s.inFlight,
          done: s.done,
          connectedAt: new Date(s.since).toISOString(),
        });
      }
    }
    return list;
  }

  private onCommit(batch: WriteBatch, outcome: WriteOutcome, waiters: Waiters): void {
    // A line per task (enqueued, then each state change) is debug: at the default level it
    // would be a JSON line per task, which cost a sixth of steady throughput (measured).
    const logTasks = this.log.isLevelEnabled('debug');
    if (outcome.ids.length > 0) {
      this.events.emit('task:submitted', { ids: outcome.ids });
      this.scheduler?.submitted(batch.submits);
      if (logTasks) {
        for (const [i, t] of batch.submits.entries()) {
          this.log.debug({ task: outcome.ids[i], type: t.type }, 'task enqueued');
        }
      }
    }
    const changed = (t: TaskState | undefined) => {
      if (!t) return;
      if (isRecord(t)) this.taskChanged(t, waiters);
      // Somebody started waiting after the batch was written: the whole task is read for them.
      else if (waiters.has(t.id)) void this.readChanged(t.id, waiters);
      if (logTasks) {
        this.log.debug(
          { task: t.id, status: t.status, units: t.unitsDone, error: t.error ?? undefined },
          `task ${t.status}`,
        );
      }
    };
    outcome.completions.forEach(changed);
    outcome.failures.forEach(changed);
    outcome.releases.forEach(changed);
    for (const c of outcome.cancels) if (c.ok) changed(c.task);
  }

  private taskChanged(task: TaskRecord, waiters: Waiters): void {
    waiters.changed(task);
    this.events.emit('task:changed', { task });
  }

  private async readChanged(id: number, waiters: Waiters): Promise<void> {
    try {
      const task = await this.store.get(id);
      if (task) this.taskChanged(task, waiters);
    } catch (error) {
      this.log.error({ err: error, task: id }, 'reading a changed task failed');
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
