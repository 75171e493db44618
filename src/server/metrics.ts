/**
 * The server's Prometheus metrics, registered once here with their help text (prom-client);
 * what feeds them: the Committer's commits (a CommitListener), the server's events (leases,
 * expirations), and, at each scrape, the in-memory task counts, the workers and the
 * connections. Nothing here reads the tasks table at a scrape but one index seek per type
 * for the age of the queue (oldest-ready). Every metric with a `type` label folds types
 * past MAX_TYPE_LABELS into `type="other"`. See docs/observability.md.
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { TypedEmitter } from '../events/emitter.ts';
import { isTerminal, type TaskStatus } from '../model/tasks.ts';
import type { Store, TaskState, WriteBatch, WriteOutcome } from '../store/types.ts';
import type { CommitListener } from './committer.ts';
import type { ServerEvents } from './events.ts';
import { FastCounter, FastHistogram, InFlightLeases } from './metric-types.ts';
import { TaskCounts, TypeLabels } from './task-counts.ts';

/** Where the scrape gets what is not counted as it happens. */
export interface MetricsSources {
  store: Store;
  events: TypedEmitter<ServerEvents>;
  now(): number;
  workers(): number;
  connections(): { client: number; worker: number; legacy: number };
  onError(error: unknown, context: string): void;
  /** How often the task counts are read again from the store (ms; 0: only at start). */
  reconcileMs: number;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const COMMIT_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function version(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export class ServerMetrics implements CommitListener {
  readonly registry = new Registry();
  /** Tasks submitted and finished through this server so far (the dashboard's throughput). */
  readonly totals = { submitted: 0, finished: 0 };
  /** Moves on with every commit that wrote and every lease: the dashboard re-reads then. */
  generation = 0;
  private readonly labels = new TypeLabels();
  private readonly counts: TaskCounts;
  private readonly inFlight = new InFlightLeases();
  private readonly offEvents: (() => void)[] = [];

  private readonly submitted = this.fastCounter(
    'taskwire_tasks_submitted_total',
    'Tasks submitted (committed), by type.',
    ['type'],
  );
  private readonly finished = this.fastCounter(
    'taskwire_tasks_finished_total',
    'Tasks that reached a final status through this server, by type and outcome (done, failed, canceled, timeout).',
    ['type', 'outcome'],
  );
  private readonly attempts = this.fastCounter(
    'taskwire_task_attempts_total',
    'Attempts (leases) that ended, by type and outcome (done, failed, timeout, expired, released, canceled).',
    ['type', 'outcome'],
  );
  private readonly runSeconds = new FastHistogram(
    'taskwire_task_run_seconds',
    'Running time of an attempt that reported done or failed: from its lease to its report.',
    ['type'],
    SECONDS,
    this.registry,
  );
  private readonly waitSeconds = new FastHistogram(
    'taskwire_task_wait_seconds',
    'Time from a task becoming runnable (its submit, or its retry time) to its lease.',
    ['type'],
    SECONDS,
    this.registry,
  );
  private readonly leaseExpirations = this.counter(
    'taskwire_lease_expirations_total',
    'Leases taken back because their deadline passed (the worker went silent).',
    [],
  );
  private readonly commitSeconds = new FastHistogram(
    'taskwire_store_commit_seconds',
    'Time the store took to commit one batch (group commit: one transaction).',
    [],
    COMMIT_SECONDS,
    this.registry,
  );
  /** Failed authentications, on the task port and over HTTP. */
  readonly authFailures = this.counter(
    'taskwire_auth_failures_total',
    'Requests or connections refused for a missing or invalid token.',
    [],
  );

  constructor(private readonly src: MetricsSources) {
    this.counts = new TaskCounts(src.store, this.labels, (e) => src.onError(e, 'counting tasks'));
    const { registry: registers } = this;
    const counts = this.counts;
    new Gauge({
      name: 'taskwire_tasks',
      help: 'Tasks in the store, by type and status (counted in memory, reconciled with the store).',
      labelNames: ['type', 'status'],
      registers: [registers],
      collect() {
        this.reset();
        for (const [type, row] of counts.entries()) {
          for (const [status, n] of Object.entries(row)) this.set({ type, status }, n);
        }
      },
    });
    new Gauge({
      name: 'taskwire_oldest_ready_task_age_seconds',
      help: 'Per type, how long the task next in line has been runnable.',
      labelNames: ['type'],
      registers: [registers],
      async collect() {
        this.reset();
        const now = src.now();
        for (const { type, readyAt } of await src.store.oldestReady(counts.typesWaiting(), now)) {
          this.set({ type }, Math.max(0, (now - readyAt) / 1000));
        }
      },
    });
    new Gauge({
      name: 'taskwire_connections',
      help: 'Open task-port connections, by role (client, worker, legacy).',
      labelNames: ['role'],
      registers: [registers],
      collect() {
        for (const [role, n] of Object.entries(src.connections())) this.set({ role }, n);
      },
    });
    new Gauge({
      name: 'taskwire_workers',
      help: 'Workers taking tasks: connected remote workers and the built-in executor.',
      registers: [registers],
      collect() {
        this.set(src.workers());
      },
    });
    new Gauge({
      name: 'taskwire_build_info',
      help: 'The running taskwire version (always 1).',
      labelNames: ['version'],
      registers: [registers],
    }).set({ version: version() }, 1);
    // Unprefixed (process_*, nodejs_*), as every Node.js dashboard expects them.
    collectDefaultMetrics({ register: registers });
  }

  /** Reads the task counts and starts listening to the server's events. */
  async start(): Promise<void> {
    const { events } = this.src;
    const leased = (e: ServerEvents['task:leased']) => this.leased(e);
    const expired = (e: ServerEvents['lease:expired']) => this.expired(e.token, e.taskId);
    const due = (e: ServerEvents['task:due']) => this.due(e.tasks);
    const pruned = (e: ServerEvents['task:pruned']) => {
      for (const t of e.tasks) this.counts.remove(t.type, t.status, t.id);
    };
    const refused = () => this.authFailures.inc();
    const retried = (e: ServerEvents['task:retried']) => this.retried(e.tasks);
    events.on('task:leased', leased).on('lease:expired', expired).on('task:due', due);
    events.on('auth:refused', refused).on('task:pruned', pruned).on('task:retried', retried);
    this.offEvents.push(() => {
      events.off('task:leased', leased).off('lease:expired', expired).off('task:due', due);
      events.off('auth:refused', refused).off('task:pruned', pruned).off('task:retried', retried);
    });
    await this.counts.start(this.src.reconcileMs);
  }

  async stop(): Promise<void> {
    for (const off of this.offEvents.splice(0)) off();
    await this.counts.stop();
  }

  /** Tasks by type label and status, as counted (the dashboard's overview). */
  taskCounts() {
    return this.counts.entries();
  }

  /** The metrics in the Prometheus text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  committed(batch: WriteBatch, outcome: WriteOutcome, ms: number): void {
    this.commitSeconds.observe('', ms / 1000);
    this.generation++;
    if (batch.submits.length > 0) this.submittedBatch(batch, outcome);
    const { completions, failures, releases } = outcome;
    const b = batch;
    for (let i = 0; i < b.completions.length; i++) {
      this.reported(b.completions[i]!.token, completions[i], 'done');
    }
    for (let i = 0; i < b.failures.length; i++) {
      const f = b.failures[i]!;
      this.reported(f.token, failures[i], f.reason === 'timeout' ? 'timeout' : 'failed');
    }
    for (let i = 0; i < b.releases.length; i++)
      this.reported(b.releases[i]!, releases[i], 'released');
    for (const c of outcome.cancels) {
      if (!c.ok) continue;
      const t = c.task;
      for (const token of c.revoked) {
        if (this.inFlight.take(token)) this.attempts.inc(this.labels.of(t.type), 'canceled');
      }
      // A task canceled before its run-at was still scheduled; one canceled while it ran was
      // processing (a multi-unit task counts as enqueued until the reconcile: see leased).
      const was =
        c.revoked.length > 0 && t.reps === 1
          ? 'processing'
          : t.finishedAt !== null && t.runAt > t.finishedAt
            ? 'scheduled'
            : 'enqueued';
      this.counts.move(t.type, was, 'canceled', t.id);
      this.finished.inc(this.labels.of(c.task.type), 'canceled');
      this.totals.finished++;
    }
  }

  /** New tasks (a duplicate of a keyed task is none), enqueued or scheduled. */
  private submittedBatch(batch: WriteBatch, outcome: WriteOutcome): void {
    const duplicates = outcome.duplicates.length > 0 ? new Set(outcome.duplicates) : undefined;
    const groups = new Map<string, { type: string; status: TaskStatus; n: number; id: number }>();
    for (let i = 0; i < batch.submits.length; i++) {
      if (duplicates?.has(i)) continue;
      const t = batch.submits[i]!;
      const status = t.runAt !== undefined && t.runAt > batch.now ? 'scheduled' : 'enqueued';
      const key = `${status} ${t.type}`;
      const g = groups.get(key);
      if (g) g.n++;
      else groups.set(key, { type: t.type, status, n: 1, id: outcome.ids[i]! });
    }
    for (const { type, status, n, id } of groups.values()) {
      this.submitted.inc(this.labels.of(type), '', n);
      this.totals.submitted += n;
      this.counts.move(type, undefined, status, id, n);
    }
  }

  private due(tasks: { id: number; type: string }[]): void {
    this.generation++;
    for (const t of tasks) this.counts.move(t.type, 'scheduled', 'enqueued', t.id);
  }

  /** Finished tasks an operator put back in the queue: failed or canceled → enqueued. */
  private retried(tasks: ServerEvents['task:retried']['tasks']): void {
    this.generation++;
    for (const t of tasks) this.counts.move(t.type, t.was, 'enqueued', t.id);
  }

  private fastCounter(name: string, help: string, labelNames: string[]) {
    return new FastCounter(name, help, labelNames, this.registry);
  }

  private counter(name: string, help: string, labelNames: string[]) {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private leased(e: ServerEvents['task:leased']): void {
    const now = this.src.now();
    this.generation++;
    this.inFlight.add(e.token, this.labels.of(e.type), e.reps === 1, now);
    this.waitSeconds.observe(this.labels.of(e.type), Math.max(0, now - e.readyAt) / 1000);
    // A multi-unit task's status depends on its other units: the reconcile counts it.
    if (e.reps === 1) this.counts.move(e.type, 'enqueued', 'processing', e.taskId);
  }

  private expired(token: number, taskId: number): void {
    this.leaseExpirations.inc();
    const lease = this.inFlight.take(token);
    if (!lease) return;
    this.attempts.inc(this.labels.of(lease.label), 'expired');
    if (lease.singleUnit) this.counts.move(lease.label, 'processing', 'enqueued', taskId);
  }

  /** A report on a lease committed: `after` is its task then (undefined: the token was stale). */
  private reported(
    token: number,
    after: TaskState | undefined,
    outcome: 'done' | 'failed' | 'released' | 'timeout',
  ) {
    const lease = this.inFlight.take(token);
    if (!after) return;
    const type = this.labels.of(after.type);
    this.attempts.inc(type, outcome);
    if (lease && outcome !== 'released') {
      this.runSeconds.observe(type, Math.max(0, this.src.now() - lease.at) / 1000);
    }
    if (after.reps !== 1) return;
    this.counts.move(after.type, 'processing', after.status, after.id);
    if (!isTerminal(after.status)) return;
    // A task that failed for good on a timeout finished as `timeout`.
    this.finished.inc(type, outcome === 'timeout' ? 'timeout' : after.status);
    this.totals.finished++;
  }
}
