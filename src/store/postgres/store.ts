/**
 * The shared store: one PostgreSQL database that several taskwire servers use at once.
 * Leases are rows, claimed with SKIP LOCKED, so servers never hand out a task twice; a
 * lease left by a dead server is reclaimed by its deadline, by whichever server sweeps
 * first. Each server hears the others' changes through LISTEN/NOTIFY (`subscribe`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TaskStatus } from '../../model/tasks.ts';
import type { PrunedMarks, PruneOutcome, PruneRequest } from '../retention.ts';
import { type TaskRow, toTaskRecord } from '../rows.ts';
import { loadSqlDir } from '../sql-files.ts';
import type {
  ClaimRequest,
  ExpiredLease,
  Lease,
  ScheduleRecord,
  ScheduleSpec,
  ScheduleTick,
  Store,
  StoreCapabilities,
  StoreEvent,
  TallySpec,
  TallySummary,
  TaskPage,
  TaskQuery,
  TaskRecord,
  TaskWithLog,
  WriteBatch,
  WriteOutcome,
} from '../types.ts';
import {
  type ConnectionSettings,
  clientConfig,
  isConnectionFailure,
  isRetryableConflict,
  type QueryStats,
  Session,
  toStoreError,
} from './connection.ts';
import { Listener } from './listener.ts';
import { migrate } from './migrate.ts';
import { type Announcer, decodeNotice, PEER_HEARD_MS, sentBy } from './notifications.ts';
import * as ops from './operations.ts';
import { postgresOperator } from './operator.ts';
import type { PostgresStoreOptions } from './options.ts';
import * as queries from './queries.ts';
import * as retention from './retention.ts';
import * as scheduling from './scheduling.ts';
import { Statements } from './statements.ts';
import { write } from './write.ts';

export type { PostgresStoreOptions } from './options.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

const ignore = () => {};

/**
 * Rows a store writes (tasks and leases) before it first refreshes the planner's statistics;
 * the next refresh comes after twice as many, and so on (see grew).
 */
const FIRST_ANALYZE_ROWS = 1000;

/** How often a failed transaction is tried in all: a deadlock victim, or a dead connection. */
const MAX_TRIES = 3;

/** Whether an operation may run again after a connection failure. */
type Retry =
  /** Reads and idempotent writes: always. */
  | 'idempotent'
  /** Transactions: unless their COMMIT went out (it may have taken effect). */
  | 'until-commit'
  /** Writes in one autocommit statement: never (it may have taken effect). */
  | 'never';

interface Opened {
  pool: pg.Pool;
  statements: Statements;
  channel: string;
}

/** A Store in a PostgreSQL database, shared by any number of servers. */
export class PostgresStore implements Store {
  readonly capabilities: StoreCapabilities = {
    exclusive: false,
    claimsInWrite: true,
    claimsBesideWrites: true,
  };
  readonly operator = postgresOperator(this.run.bind(this), () => this.announcer);
  private readonly opts: PostgresStoreOptions;
  private readonly settings: ConnectionSettings;
  /** Tells this instance's notifications from the others'. */
  private readonly origin = randomBytes(9).toString('base64url');
  /** When another server's notice was last heard (performance.now()); never: -Infinity. */
  private peerHeardAt = Number.NEGATIVE_INFINITY;
  private readonly counters: QueryStats = { queries: 0, roundTrips: 0 };
  private readonly subscribers = new Set<(event: StoreEvent) => void>();
  private opened: Opened | undefined;
  private listener: Listener | undefined;
  private grown = 0;
  private analyzeAfter = FIRST_ANALYZE_ROWS;
  private analyzing: Promise<void> | undefined;

  constructor(opts: PostgresStoreOptions) {
    this.opts = opts;
    this.settings = {
      url: opts.url,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      statementTimeoutMs: opts.statementTimeoutMs ?? 30_000,
    };
  }

  /** Queries and round trips sent so far (each pipeline is one round trip). */
  get stats(): QueryStats {
    return { ...this.counters };
  }

  async open(): Promise<void> {
    if (this.opened) throw new Error('store is already open');
    const statements = Statements.load();
    const schema = await this.migrate();
    const pool = new pg.Pool({
      ...clientConfig(this.settings, 'taskwire'),
      max: this.opts.poolSize ?? 10,
      pipeline: true,
    });
    // An idle pooled connection that fails (a restart, a terminated backend) is dropped by
    // the pool, which then reports it here; without a listener the process would crash.
    // The next call opens a new connection.
    pool.on('error', () => {});
    const channel = this.opts.channel ?? (schema === 'public' ? 'taskwire' : `taskwire.${schema}`);
    this.opened = { pool, statements, channel };
  }

  /**
   * Checks the server's settings and runs the migrations, on a connection of their own (no
   * pipelining, no timeouts). Returns the schema the store's tables are in.
   */
  private async migrate(): Promise<string> {
    const config = clientConfig(this.settings, 'taskwire-migrate');
    // A migration may take long on a big table; the advisory lock may wait for another's.
    const client = new pg.Client({
      ...config,
      statement_timeout: undefined,
      query_timeout: undefined,
    });
    client.on('error', () => {}); // a failure also rejects the pending call
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => {});
      throw toStoreError(err, true);
    }
    try {
      const { rows } = await client.query<{ schema: string; sync: string }>(
        "SELECT current_schema() AS schema, current_setting('synchronous_commit') AS sync",
      );
      if (this.opts.fsync && rows[0]!.sync === 'off') {
        throw new Error(
          'fsync was asked for, but the PostgreSQL server runs with synchronous_commit = off',
        );
      }
      await migrate(client, loadSqlDir(MIGRATIONS_DIR));
      return rows[0]!.schema;
    } catch (err) {
      throw toStoreError(err, false);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Stops listening and closes every connection; safe to call twice. */
  async close(): Promise<void> {
    const opened = this.opened;
    const listener = this.listener;
    this.opened = this.listener = undefined;
    this.subscribers.clear();
    await listener?.stop();
    await this.analyzing;
    await opened?.pool.end();
  }

  /**
   * Counts rows written and, each time their number doubled, runs ANALYZE in the background.
   * Plans are made once per connection (see SESSION_OPTIONS), again only when the statistics
   * change; without autovacuum, plans made while the tables were nearly empty (whole-table
   * scans) would stay, each call slower than the last. About ten ANALYZEs per million rows.
   */
  private grew(rows: number): void {
    this.grown += rows;
    if (this.grown < this.analyzeAfter || this.analyzing || !this.opened) return;
    this.grown = 0;
    this.analyzeAfter *= 2;
    const { pool, statements } = this.opened;
    this.analyzing = pool
      .query(statements.config('analyze', []))
      // Best effort: a failure (the database went away) leaves the plans as they were.
      .then(ignore, ignore)
      .finally(() => {
        this.analyzing = undefined;
      });
  }

  /** The other instances' events (StoreEvent), from one LISTEN connection; `ready` first. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    const { channel } = this.requireOpen();
    this.subscribers.add(listener);
    if (!this.listener) {
      this.listener = new Listener({
        config: clientConfig(this.settings, 'taskwire-listen'),
        channel,
        onPayload: (payload) => this.received(payload),
        onListening: () => {
          this.emit({ kind: 'ready' });
          this.emit({ kind: 'due' });
          this.emit({ kind: 'schedule' });
          this.emit({ kind: 'paused' });
        },
      });
      this.listener.start();
    }
    return () => {
      this.subscribers.delete(listener);
    };
  }

  private received(payload: string): void {
    if (sentBy(payload, this.origin)) return;
    const notice = decodeNotice(payload);
    if (!notice || notice.origin === this.origin) return;
    this.peerHeardAt = performance.now();
    if (notice.finished) this.emitFinished(notice.finished);
    if (notice.ids.length > 0) this.emit({ kind: 'changed', ids: notice.ids });
    if (notice.ready) this.emit({ kind: 'ready' });
    if (notice.due !== undefined) this.emit({ kind: 'due', at: notice.due });
    if (notice.schedule !== undefined) this.emit({ kind: 'schedule', at: notice.schedule });
    if (notice.paused) this.emit({ kind: 'paused' });
    if (notice.revoked?.length) this.emit({ kind: 'revoked', tokens: notice.revoked });
  }

  /** A finished task's row from another instance (notify-finished.sql); else its id only. */
  private emitFinished(row: unknown[]): void {
    let task: TaskRecord;
    try {
      task = toTaskRecord(row as TaskRow);
    } catch {
      // Not a row this version reads: the batch's other notice names the task anyway.
      return;
    }
    this.emit({ kind: 'finished', tasks: [task] });
  }

  private emit(event: StoreEvent): void {
    // Outside pg's socket handler: a subscriber that throws must not break the connection.
    for (const listener of this.subscribers) queueMicrotask(() => listener(event));
  }

  private get announcer(): Announcer | undefined {
    if (this.opts.notify === false) return undefined;
    const peers = performance.now() - this.peerHeardAt < PEER_HEARD_MS;
    return { channel: this.requireOpen().channel, origin: this.origin, peers };
  }

  async write(batch: WriteBatch): Promise<WriteOutcome> {
    const outcome = await this.run('until-commit', (s) => write(s, batch, this.announcer));
    this.grew(outcome.ids.length + outcome.claims.reduce((n, c) => n + c.leases.length, 0));
    return outcome;
  }

  async claim(req: ClaimRequest): Promise<Lease[]> {
    const leases = await this.run('never', (s) => ops.claim(s, req));
    this.grew(leases.length);
    return leases;
  }

  /** A lease past its deadline is not extended: any server may be reclaiming it. */
  async extend(tokens: number[], deadline: number, now: number): Promise<boolean[]> {
    return this.run('idempotent', (s) => ops.extend(s, tokens, deadline, now));
  }

  async get(id: number, withAttempts = false): Promise<TaskWithLog | undefined> {
    return this.run('idempotent', (s) => ops.get(s, id, withAttempts));
  }

  async reclaimExpired(now: number): Promise<ExpiredLease[]> {
    return this.run('until-commit', (s) => ops.reclaimExpired(s, now, this.announcer));
  }

  /** Releases every active lease, other servers' too: only for a store known to be alone. */
  async releaseAll(now: number): Promise<number> {
    return this.run('until-commit', (s) => ops.releaseAll(s, now, this.announcer));
  }

  async nextRunAt(now: number): Promise<number | undefined> {
    return this.run('idempotent', (s) => ops.nextRunAt(s, now));
  }

  async enqueueDue(now: number, limit: number): Promise<{ id: number; type: string }[]> {
    return this.run('until-commit', (s) => scheduling.enqueueDue(s, now, limit, this.announcer));
  }

  async putSchedule(spec: ScheduleSpec, now: number): Promise<{ created: boolean }> {
    return this.run('until-commit', (s) => scheduling.putSchedule(s, spec, now, this.announcer));
  }

  async schedules(): Promise<ScheduleRecord[]> {
    return this.run('idempotent', (s) => scheduling.schedules(s));
  }

  async removeSchedule(name: string): Promise<boolean> {
    return this.run('never', (s) => scheduling.removeSchedule(s, name));
  }

  async nextScheduleRun(): Promise<number | undefined> {
    return this.run('idempotent', (s) => scheduling.nextScheduleRun(s));
  }

  async tickSchedules(
    now: number,
    next: (s: ScheduleRecord) => number | null,
  ): Promise<ScheduleTick[]> {
    return this.run('until-commit', (s) => scheduling.tickSchedules(s, now, next, this.announcer));
  }

  async createTally(spec: TallySpec, now: number): Promise<{ id: number; created: boolean }> {
    const tally = await this.run('until-commit', (s) =>
      ops.createTally(s, spec, now, this.announcer),
    );
    if (tally.created) this.grew(spec.keys);
    return tally;
  }

  async tally(which: { id?: number; name?: string }): Promise<TallySummary | undefined> {
    return this.run('idempotent', (s) => ops.tally(s, which));
  }

  async counts(): Promise<Record<TaskStatus, number>> {
    return this.run('idempotent', (s) => ops.counts(s));
  }

  async declareTypes(types: readonly string[], now: number): Promise<void> {
    await this.run('idempotent', (s) => ops.declareTypes(s, types, now));
  }

  async taskTypes(): Promise<string[]> {
    return this.run('idempotent', (s) => ops.taskTypes(s));
  }

  async countsByType(afterId: number, toId: number) {
    return this.run('idempotent', (s) => queries.countsByType(s, afterId, toId));
  }

  async maxTaskId(): Promise<number> {
    return this.run('idempotent', (s) => queries.maxTaskId(s));
  }

  async oldestReady(types: readonly string[], now: number) {
    return this.run('idempotent', (s) => queries.oldestReady(s, types, now));
  }

  async listTasks(query: TaskQuery): Promise<TaskPage> {
    return this.run('idempotent', (s) => queries.listTasks(s, query));
  }

  async prune(req: PruneRequest): Promise<PruneOutcome> {
    return this.run('until-commit', (s) => retention.prune(s, req));
  }

  async prunedMarks(): Promise<PrunedMarks> {
    return this.run('idempotent', (s) => retention.prunedMarks(s));
  }

  private requireOpen(): Opened {
    if (!this.opened) throw new Error('store is not open');
    return this.opened;
  }

  /**
   * Runs `fn` on a pooled connection. A connection that failed is closed, never reused. A
   * deadlock victim runs again; so does work a lost connection interrupted when `retry`
   * allows (a pooled connection may have died while idle, e.g. across a server restart).
   */
  private async run<T>(retry: Retry, fn: (s: Session) => Promise<T>): Promise<T> {
    const { pool, statements } = this.requireOpen();
    for (let tries = 1; ; tries++) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toStoreError(err, true);
      }
      const session = new Session(client, statements, this.counters);
      // A checked-out connection that breaks also emits 'error' (the pending queries reject
      // as well); unheard, it would crash the process.
      client.on('error', ignore);
      try {
        const result = await fn(session);
        client.release();
        client.off('error', ignore);
        return result;
      } catch (err) {
        // Once anything was sent, the connection may be in a failed transaction or broken:
        // drop it. (An error before, such as JSON that cannot be written, leaves it clean.)
        client.release(session.sent);
        client.off('error', ignore);
        const again =
          tries < MAX_TRIES &&
          (isRetryableConflict(err) ||
            (isConnectionFailure(err) &&
              (retry === 'idempotent' || (retry === 'until-commit' && !session.committing))));
        if (!again) throw toStoreError(err, false);
      }
    }
  }
}
