/**
 * The taskwire server: it builds the parts and wires them, nothing more. A commit flows
 * from the Committer to its listeners (the store's health, the scheduler, TaskChanges, which
 * pushes results to waiters); a connection flows from the TaskListener to a Connection,
 * whose requests dispatch to the Core. `start()` opens everything, `close()` (safe to call
 * twice, also through `signal`) drains it.
 */
import { TypedEmitter } from '../events/emitter.ts';
import { builtinHandlers } from '../handlers/builtin-handlers.ts';
import type { Store } from '../store/types.ts';
import type { TaskPortAuth } from './auth/session-access.ts';
import {
  checkStartRules,
  httpChecker,
  loadTaskPortAuth,
  reloadTokens,
} from './auth/task-port-auth.ts';
import { Committer } from './committer.ts';
import type { ServerEvents } from './events.ts';
import type { HttpAddress } from './http/address.ts';
import { Csrf } from './http/csrf.ts';
import { HttpListener } from './http/http-listener.ts';
import { type Logger, silentLogger } from './logger.ts';
import { ServerMetrics } from './metrics.ts';
import { dashboardOperator, OperatorActions } from './operator.ts';
import { type ResolvedOptions, resolveOptions, type ServerOptions } from './options.ts';
import { CronSchedules } from './scheduling/cron-schedules.ts';
import { LocalExecutor } from './scheduling/local-executor.ts';
import { Pauses } from './scheduling/pauses.ts';
import { Pruner, retentionPolicy } from './scheduling/pruner.ts';
import { RemoteWorkers } from './scheduling/remote-workers.ts';
import { Scheduler } from './scheduling/scheduler.ts';
import { TaskTypes } from './scheduling/task-types.ts';
import type { Core } from './session/dispatch.ts';
import { LegacyTallyListener } from './session/legacy-tally.ts';
import { TaskListener } from './session/listener.ts';
import { StoreHealth } from './store-health.ts';
import { StoreSync } from './store-sync.ts';
import { TaskChanges } from './task-changes.ts';
import { Waiters } from './waiters.ts';

export type { ServerOptions } from './options.ts';

/** What `start()` builds. */
interface Parts {
  committer: Committer;
  pauses: Pauses;
  scheduler: Scheduler;
  schedules: CronSchedules;
  pruner: Pruner;
  local: LocalExecutor | undefined;
  remote: RemoteWorkers;
  sync: StoreSync;
  legacy: LegacyTallyListener | undefined;
  http: HttpListener | undefined;
  metrics: ServerMetrics | undefined;
}

export class TaskwireServer {
  readonly events = new TypedEmitter<ServerEvents>();
  readonly log: Logger;
  /** Whether the store answers (reported by `ping`). */
  readonly health: StoreHealth;
  /** Where the legacy tally listener listens, when it was asked for. */
  tallyAddress: { host: string; port: number } | undefined;
  /** Where the HTTP listener (probes, metrics, dashboard) listens, when it was asked for. */
  httpAddress: HttpAddress | undefined;
  private readonly opts: ResolvedOptions;
  private readonly store: Store;
  private readonly listener: TaskListener;
  private parts: Parts | undefined;
  private auth: TaskPortAuth | undefined;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  /** What `reload()` runs (SIGHUP): each reads its files again. */
  private readonly reloaders: (() => void | Promise<void>)[] = [];

  constructor(options: ServerOptions) {
    this.opts = resolveOptions(options);
    this.store = options.store;
    this.log = options.logger ?? silentLogger();
    const o = this.opts;
    this.listener = new TaskListener(this.events, this.log, {
      maxConnections: o.maxConnections,
      lineSweepMs: Math.max(10, Math.min(1000, Math.floor(o.lineTimeoutMs / 4))),
      ...(o.tls && { tls: { files: o.tls, handshakeTimeoutMs: o.tlsHandshakeTimeoutMs } }),
    });
    this.onReload(() => this.reloadAuth());
    this.onReload(() => {
      if (this.listener.reloadTls()) this.log.info('TLS certificate and key reloaded');
    });
    this.health = new StoreHealth((status, error) => {
      if (status === 'ok') {
        this.log.warn('the store is available again; resuming');
        this.parts?.scheduler.workAppeared();
      } else {
        this.log.error({ error }, 'the store is unavailable; requests fail until it is back');
      }
    });
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /**
   * Binds the port, then opens the store (migrations), recovers leases left by a crash, and
   * serves. A port that cannot be bound fails the start before the store is touched.
   */
  async start(): Promise<{ host: string; port: number }> {
    const { opts, store, log } = this;
    checkStartRules(opts);
    // A bad auth file stops the start before anything is bound or opened.
    this.auth = await loadTaskPortAuth(opts, this.events, log);
    await this.listener.listen(opts.host, opts.port);
    await store.open();
    if (store.capabilities.exclusive) {
      const released = await store.releaseAll(opts.now?.() ?? Date.now());
      if (released > 0)
        log.info(
          { released },
          'tasks that were running when the server stopped go back to the queue',
        );
    }
    const { parts, core } = this.assemble();
    this.parts = parts;
    await core.types.load();
    await parts.pauses.load();
    await parts.scheduler.start();
    await parts.schedules.start();
    parts.pruner.start();
    parts.sync.start();
    if (parts.legacy) this.tallyAddress = await parts.legacy.start();
    await parts.metrics?.start();
    if (parts.http) this.httpAddress = await parts.http.start();
    this.listener.serve({
      core,
      maxLineBytes: opts.maxLineBytes,
      maxInFlight: opts.maxInFlight,
      limits: {
        maxConnections: opts.maxConnections,
        lineTimeoutMs: opts.lineTimeoutMs,
        maxPendingBytes: opts.maxPendingBytes,
        writeDeadlineMs: opts.writeDeadlineMs,
        json: { maxDepth: opts.maxDepth, maxKeys: opts.maxKeys },
      },
      log,
      events: this.events,
      closing: () => this.closing,
      ...(this.auth && { auth: this.auth }),
      helloWorker: (c, params) => parts.remote.hello(c, params),
    });
    const address = this.address;
    log.info(
      {
        ...address,
        store: store.constructor.name,
        local: opts.local !== false,
        ...(this.httpAddress && { http: `${this.httpAddress.host}:${this.httpAddress.port}` }),
      },
      'listening',
    );
    return address;
  }

  get address(): { host: string; port: number } {
    return this.listener.address;
  }

  /**
   * Reads the auth file again (the CLI calls it on SIGHUP): removed tokens stop working on
   * their connections' next request. A bad file keeps the tokens in force and logs why.
   */
  async reloadAuth(): Promise<void> {
    if (this.auth) await reloadTokens(this.auth);
  }

  /**
   * Reads the server's files again (the CLI calls it on SIGHUP): the auth file (reloadAuth),
   * the TLS certificate and key, and what else registered with `onReload`. A file that cannot
   * be used keeps what was loaded before and is logged; open connections are not dropped.
   */
  async reload(): Promise<void> {
    for (const fn of this.reloaders) {
      try {
        await fn();
      } catch (error) {
        this.log.error(
          { err: error },
          `reload failed, keeping what was loaded: ${(error as Error).message}`,
        );
      }
    }
  }

  /** Adds a step to `reload()`. */
  onReload(fn: () => void | Promise<void>): void {
    this.reloaders.push(fn);
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

  /** Builds the parts and wires them: commits to their listeners, requests to the core. */
  private assemble(): { parts: Parts; core: Core } {
    const { opts, store, log, events, health } = this;
    const now = opts.now ?? Date.now;
    const onError = (error: unknown, context: string) => {
      health.failed(error);
      log.error({ err: error, context }, 'background work failed');
    };
    const waiters = new Waiters();
    const changes = new TaskChanges(store, waiters, events, log);
    const committer = new Committer(store, { now });
    committer.listen(health);
    const scheduler = new Scheduler(store, committer, events, {
      leaseMs: opts.leaseMs,
      sweepMs: Math.min(1000, Math.max(20, Math.floor(opts.leaseMs / 4))),
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: 60_000,
      now,
      onTaskChanged: (t) => changes.deliver(t),
      // Intermediate changes (started, progress) are read only for waiters who want them.
      isWatched: (id) => waiters.wantsUpdates(id),
      onError,
      onSweep: () => health.ok(false),
      ...(opts.taskTimeouts && { taskTimeouts: opts.taskTimeouts }),
    });
    const pauses = new Pauses(store, {
      now,
      onError,
      apply: (paused) => {
        scheduler.setPaused(paused);
        if (events.listens('types:paused')) events.emit('types:paused', { paused: [...paused] });
      },
    });
    committer.listen(scheduler);
    committer.listen(changes);
    const handlers = new Map([...builtinHandlers(opts.delayScale), ...(opts.handlers ?? [])]);
    const local =
      opts.local === false ? undefined : new LocalExecutor(handlers, opts.concurrency, onError);
    const types = new TaskTypes(
      store,
      // The legacy tally port's workers run tally tasks.
      [...(local?.types ?? []), ...(opts.types ?? []), ...(opts.tally ? ['tally'] : [])],
      opts.maxAttempts,
      now,
    );
    local?.attach(scheduler);
    const remote = new RemoteWorkers(scheduler, types, events, log, { leaseMs: opts.leaseMs, now });
    const legacy = opts.tally
      ? new LegacyTallyListener(store, scheduler, log, {
          host: opts.host,
          ...opts.tally,
          // With auth on, `--legacy` serves it to workers on this machine only.
          loopbackOnly: this.auth !== undefined,
          maxAttempts: opts.maxAttempts,
          now,
          events,
        })
      : undefined;
    const schedules = new CronSchedules(store, {
      now,
      events,
      onTasks: (types) => scheduler.workAppeared(types, true),
      onError,
    });
    const pruner = new Pruner(store, {
      policy: retentionPolicy(opts.retentionMs, opts.retentionFailedMs),
      now,
      intervalMs: opts.pruneIntervalMs,
      onPruned: (tasks, tallies) => {
        log.debug({ tasks: tasks.length, tallies: tallies.length }, 'retention pruned');
        events.emit('task:pruned', { tasks, tallies });
      },
      onError: (error) => onError(error, 'pruning finished tasks'),
    });
    const operator = new OperatorActions({
      store,
      scheduler,
      pauses,
      events,
      now,
      acceptedTypes: () => types.list(),
    });
    const core: Core = {
      store,
      committer,
      scheduler,
      waiters,
      types,
      schedules,
      operator,
      serverName: `taskwire ${process.pid}`,
      maxAttempts: opts.maxAttempts,
      now,
      listWorkers: () => [...(local?.info() ? [local.info()!] : []), ...remote.list()],
      storeStatus: () => health.status,
    };
    const sync = new StoreSync(
      store,
      scheduler,
      waiters,
      onError,
      (what, at) => (what === 'due' ? scheduler.due.dueAt(at) : schedules.dueAt(at)),
      () => pauses.reload(),
    );
    const listWorkers = core.listWorkers;
    // Metrics only for an HTTP listener to serve them: without one they cost nothing.
    const metrics = opts.http
      ? new ServerMetrics({
          store,
          events,
          now,
          workers: () => listWorkers().length,
          connections: () => {
            const roles = this.listener.roles();
            return { ...roles, legacy: roles.legacy + (legacy?.connections ?? 0) };
          },
          onError,
          reconcileMs: opts.metricsReconcileMs,
        })
      : undefined;
    if (metrics) committer.listen(metrics);
    const storeHealth = () => ({ status: health.status, error: health.error });
    const httpOptions = opts.http && {
      ...opts.http,
      ...(!opts.http.auth && this.auth && { auth: httpChecker(this.auth) }),
    };
    const http =
      httpOptions && metrics
        ? new HttpListener(
            {
              store,
              events,
              log,
              now,
              metrics,
              storeHealth,
              workers: listWorkers,
              operator: dashboardOperator(committer, operator),
              readOnly: httpOptions.readOnly ?? false,
              csrf: new Csrf(),
            },
            httpOptions,
          )
        : undefined;
    return {
      parts: {
        committer,
        pauses,
        scheduler,
        schedules,
        pruner,
        local,
        remote,
        sync,
        legacy,
        http,
        metrics,
      },
      core,
    };
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
    const listening = this.listener.stopAccepting();
    const parts = this.parts;
    if (parts) {
      await step(() => parts.http?.close());
      await step(() => parts.legacy?.close());
      await step(() => parts.local?.stop(this.opts.graceMs));
      await step(() => parts.remote.closeAll());
      parts.scheduler.stop();
      parts.schedules.stop();
      await step(() => parts.pruner.stop());
      parts.sync.stop();
      await step(() => parts.committer.drain());
    }
    this.listener.endAll();
    await step(() => listening);
    await step(() => this.store.close());
    this.log.info('closed');
    if (failures.length > 0)
      throw new AggregateError(failures, 'taskwire server closed with errors');
  }
}
