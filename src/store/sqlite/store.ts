/** The embedded store: one SQLite file in WAL mode, owned by one server process. */
import Database from 'better-sqlite3';
import type { TaskStatus } from '../../model/tasks.ts';
import type { PrunedMarks, PruneOutcome, PruneRequest } from '../retention.ts';
import { loadSqlDir } from '../sql-files.ts';
import type {
  ClaimOutcome,
  ClaimRequest,
  ExpiredLease,
  Lease,
  ScheduleRecord,
  ScheduleSpec,
  ScheduleTick,
  Store,
  StoreCapabilities,
  TallySpec,
  TallySummary,
  TaskPage,
  TaskQuery,
  TaskWithLog,
  WriteBatch,
  WriteOutcome,
} from '../types.ts';
import { hasWrites } from '../types.ts';
import { ActiveLeases } from './active-leases.ts';
import { claim } from './claims.ts';
import { openFailed, unclean } from './errors.ts';
import { migrate } from './migrate.ts';
import type { StoreParts } from './operations.ts';
import * as ops from './operations.ts';
import { retriesOf, sqliteOperator } from './operator.ts';
import * as queries from './queries.ts';
import { closeLeases, openLeases } from './recovery.ts';
import * as retention from './retention.ts';
import * as scheduling from './scheduling.ts';
import { prepareStatements } from './statements.ts';
import * as tallies from './tallies.ts';
import { TaskIds } from './task-ids.ts';
import { Tokens } from './tokens.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** How long a statement waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** The database file; created if missing. */
  path: string;
  /**
   * Sync the WAL on every commit (`synchronous=FULL`): a commit survives power loss. The
   * default (`NORMAL`) survives a crash of the process but may lose the last commits on
   * power loss.
   */
  fsync?: boolean;
  /**
   * For tests only: caps the file at this many pages (`PRAGMA max_page_count`, applied after
   * migrations) so a test can make writes fail as on a full disk.
   */
  maxPageCount?: number;
  /** How long opening waits for another process to let go of the file (default 5 s). */
  busyTimeoutMs?: number;
}

/** The transactions of an open store: each call runs in one transaction. */
interface Transactions {
  write(batch: WriteBatch): WriteOutcome;
  claim(req: ClaimRequest): ClaimOutcome;
  reclaimExpired(now: number): ExpiredLease[];
  releaseAll(now: number): number;
  openLeases(now: number): number;
  closeLeases(now: number): void;
  get(id: number, withAttempts: boolean): TaskWithLog | undefined;
  createTally(spec: TallySpec, now: number): { id: number; created: boolean };
  tally(which: { id?: number; name?: string }): TallySummary | undefined;
  declareTypes(types: readonly string[], now: number): void;
  enqueueDue(now: number, limit: number): { id: number; type: string }[];
  putSchedule(spec: ScheduleSpec, now: number): { created: boolean };
  removeSchedule(name: string): boolean;
  tickSchedules(now: number, next: (s: ScheduleRecord) => number | null): ScheduleTick[];
  prune(req: PruneRequest): PruneOutcome;
}

function transactions(db: Database.Database, p: StoreParts): Transactions {
  const { st, leases, tokens, ids } = p;
  // Writers take the lock up front (IMMEDIATE): a deferred transaction that upgrades to a
  // writer can fail with SQLITE_BUSY instead of waiting for the busy timeout. The leases in
  // memory and the token range roll back with the transaction.
  const writer = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const run = db.transaction(fn).immediate as (...args: A) => R;
    return (...args: A): R => {
      leases.begin();
      tokens.begin();
      ids.begin();
      try {
        const result = run(...args);
        leases.commit();
        tokens.commit();
        ids.commit();
        return result;
      } catch (error) {
        leases.rollback();
        tokens.rollback();
        ids.rollback();
        throw error;
      }
    };
  };
  return {
    write: writer((batch: WriteBatch) => ops.applyBatch(p, batch)),
    claim: writer((req: ClaimRequest) => claim(p, req)),
    reclaimExpired: writer((now: number) => ops.reclaimExpired(p, now)),
    releaseAll: writer((now: number) => ops.releaseAll(p, now)),
    openLeases: writer((now: number) => openLeases(p, now)),
    closeLeases: writer((now: number) => closeLeases(p, now)),
    createTally: writer((spec: TallySpec, now: number) => tallies.createTally(p, spec, now)),
    prune: writer((req: PruneRequest) => retention.prune(p, req)),
    declareTypes: writer((types: readonly string[], now: number) => {
      for (const name of types) st['types-declare'].run({ name, now });
    }),
    enqueueDue: writer((now: number, limit: number) => scheduling.enqueueDue(st, now, limit)),
    putSchedule: writer((spec: ScheduleSpec, now: number) => scheduling.putSchedule(st, spec, now)),
    removeSchedule: writer((name: string) => st['schedule-remove'].run({ name }).changes > 0),
    tickSchedules: writer((now: number, next: (s: ScheduleRecord) => number | null) =>
      scheduling.tickSchedules(st, ids, now, next),
    ),
    // A read transaction, so the numbers and the workers are one snapshot.
    tally: db.transaction((which: { id?: number; name?: string }) => tallies.tally(st, which)),
    // A read transaction, so the task and its attempt log are one snapshot.
    get: db.transaction((id: number, withAttempts: boolean) => {
      const task = ops.getTask(st, id);
      if (task === undefined || !withAttempts) return task;
      return { ...task, attemptLog: ops.attemptLog(p, id), retries: retriesOf(st, id) };
    }),
  };
}

/** A Store in one SQLite file. better-sqlite3 is synchronous: the async methods just wrap. */
export class SqliteStore implements Store {
  readonly capabilities: StoreCapabilities = {
    exclusive: true,
    claimsInWrite: true,
    claimsBesideWrites: false,
  };
  readonly operator = sqliteOperator(() => {
    const { db, parts } = this.requireOpen();
    return { db, st: parts.st };
  });
  private readonly opts: SqliteStoreOptions;
  private db: Database.Database | undefined;
  private parts: StoreParts | undefined;
  private tx: Transactions | undefined;
  /** Units taken back at open from a server that stopped without closing; see releaseAll. */
  private recovered = 0;

  constructor(opts: SqliteStoreOptions) {
    this.opts = opts;
  }

  async open(): Promise<void> {
    if (this.db) throw new Error('store is already open');
    const timeout = this.opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    let db: Database.Database;
    try {
      db = new Database(this.opts.path, { timeout });
    } catch (err) {
      throw openFailed(this.opts.path, err);
    }
    try {
      // One process owns the file: it holds the lock from its first access to its close, so
      // a second server on the same file fails (SQLITE_BUSY) instead of sharing the queue,
      // and each commit saves the six lock calls (and the shared-memory index) that sharing
      // costs. Set before the first access, so the WAL index lives in this process's heap.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.opts.fsync ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      // 32 MiB of page cache: keeps the hot ends of the queue indexes in memory.
      db.pragma('cache_size = -32768');
      // A checkpoint runs inside the commit that crosses this many WAL pages and stalls it
      // for milliseconds (its fsyncs): every 4,000 pages (16 MiB) rather than SQLite's 1,000,
      // a quarter as many stalls, and pages rewritten in between are copied once. (A
      // checkpointing thread was tried: with a second connection open, commits' tail
      // latency was as bad as with inline checkpoints.)
      db.pragma('wal_autocheckpoint = 4000');
      migrate(db, loadSqlDir(MIGRATIONS_DIR));
      const { maxPageCount } = this.opts;
      if (maxPageCount !== undefined) {
        if (!Number.isInteger(maxPageCount) || maxPageCount < 1) {
          throw new RangeError(`maxPageCount must be a positive integer: ${maxPageCount}`);
        }
        db.pragma(`max_page_count = ${maxPageCount}`);
      }
      const st = prepareStatements(db);
      const parts: StoreParts = {
        st,
        leases: new ActiveLeases(),
        tokens: new Tokens(st['store-state-get'], st['store-state-set']),
        ids: new TaskIds(st),
      };
      parts.ids.load();
      const tx = transactions(db, parts);
      this.recovered = tx.openLeases(Date.now());
      this.parts = parts;
      this.tx = tx;
      this.db = db;
    } catch (err) {
      db.close();
      throw openFailed(this.opts.path, err);
    }
  }

  /**
   * Releases the active leases (their attempts are written as released) and closes the
   * database; safe to call twice. When the release cannot be written (a full disk, say), the
   * store closes anyway, unclean, so that the next open takes the leases back as after a
   * crash, and the call rejects to say so (with the SQLite error's code).
   */
  async close(): Promise<void> {
    const db = this.db;
    const tx = this.tx;
    const leases = this.parts?.leases.size ?? 0;
    this.db = this.parts = this.tx = undefined;
    let failure: unknown;
    try {
      tx?.closeLeases(Date.now());
    } catch (error) {
      failure = error;
    }
    db?.close();
    if (failure !== undefined) throw unclean(this.opts.path, leases, failure);
  }

  /** Reads a pragma of the open connection (diagnostics and tests). */
  pragma(name: string): unknown {
    return this.requireOpen().db.pragma(name, { simple: true });
  }

  /**
   * With `fsync`, a batch of nothing but claims commits unsynced, as `claim` does; a batch
   * with anything else syncs, its claims with it.
   */
  async write(batch: WriteBatch): Promise<WriteOutcome> {
    const { tx } = this.requireOpen();
    if (batch.claims.length > 0 && !hasWrites(batch)) return this.unsynced(() => tx.write(batch));
    return tx.write(batch);
  }

  /**
   * With `fsync`, a claim commits without syncing: losing a lease to a power cut loses no
   * acknowledged work (the task is still stored and runs again; the worker's report is then
   * refused as stale). The next synced commit, which every acknowledgement waits for, syncs
   * the WAL up to and including this one. Spares an fsync per claim.
   */
  async claim(req: ClaimRequest): Promise<Lease[]> {
    const { tx } = this.requireOpen();
    return this.unsynced(() => tx.claim(req)).leases;
  }

  /**
   * `now` is not needed here: one process owns the file, so a lease past its deadline stays
   * the worker's until reclaimExpired takes it back, and extending it until then is fine.
   */
  async extend(tokens: number[], deadline: number, _now: number): Promise<boolean[]> {
    // Active leases are in memory only: nothing to write.
    return ops.extend(this.requireOpen().parts.leases, tokens, deadline);
  }

  async get(id: number, withAttempts = false): Promise<TaskWithLog | undefined> {
    return this.requireOpen().tx.get(id, withAttempts);
  }

  async reclaimExpired(now: number): Promise<ExpiredLease[]> {
    return this.requireOpen().tx.reclaimExpired(now);
  }

  /**
   * Releases every active lease. The first call after open also counts the units that open
   * took back from a server that stopped without closing the store.
   */
  async releaseAll(now: number): Promise<number> {
    const released = this.requireOpen().tx.releaseAll(now) + this.recovered;
    this.recovered = 0;
    return released;
  }

  async nextRunAt(now: number): Promise<number | undefined> {
    const runAt = this.requireOpen().parts.st['next-run-at'].get({ now }) as number | null;
    return runAt ?? undefined;
  }

  async enqueueDue(now: number, limit: number): Promise<{ id: number; type: string }[]> {
    return this.requireOpen().tx.enqueueDue(now, limit);
  }

  async putSchedule(spec: ScheduleSpec, now: number): Promise<{ created: boolean }> {
    return this.requireOpen().tx.putSchedule(spec, now);
  }

  async schedules(): Promise<ScheduleRecord[]> {
    return scheduling.schedules(this.requireOpen().parts.st);
  }

  async removeSchedule(name: string): Promise<boolean> {
    return this.requireOpen().tx.removeSchedule(name);
  }

  async nextScheduleRun(): Promise<number | undefined> {
    const next = this.requireOpen().parts.st['schedules-next'].get() as number | null;
    return next ?? undefined;
  }

  async tickSchedules(
    now: number,
    next: (s: ScheduleRecord) => number | null,
  ): Promise<ScheduleTick[]> {
    return this.requireOpen().tx.tickSchedules(now, next);
  }

  async createTally(spec: TallySpec, now: number): Promise<{ id: number; created: boolean }> {
    return this.requireOpen().tx.createTally(spec, now);
  }

  async tally(which: { id?: number; name?: string }): Promise<TallySummary | undefined> {
    return this.requireOpen().tx.tally(which);
  }

  async counts(): Promise<Record<TaskStatus, number>> {
    return ops.counts(this.requireOpen().parts.st);
  }

  async declareTypes(types: readonly string[], now: number): Promise<void> {
    this.requireOpen().tx.declareTypes(types, now);
  }

  async taskTypes(): Promise<string[]> {
    return this.requireOpen().parts.st['types-list'].all() as string[];
  }

  async countsByType(afterId: number, toId: number) {
    return queries.countsByType(this.requireOpen().parts.st, afterId, toId);
  }

  async maxTaskId(): Promise<number> {
    return queries.maxTaskId(this.requireOpen().parts.st);
  }

  async oldestReady(types: readonly string[], now: number) {
    return queries.oldestReady(this.requireOpen().parts.st, types, now);
  }

  async listTasks(query: TaskQuery): Promise<TaskPage> {
    return queries.listTasks(this.requireOpen().parts.st, query);
  }

  async prune(req: PruneRequest): Promise<PruneOutcome> {
    return this.requireOpen().tx.prune(req);
  }

  async prunedMarks(): Promise<PrunedMarks> {
    return retention.prunedMarks(this.requireOpen().parts);
  }

  /** Runs `fn` with synchronous=NORMAL when the store syncs every commit (see `claim`). */
  private unsynced<T>(fn: () => T): T {
    if (!this.opts.fsync) return fn();
    const { db } = this.requireOpen();
    db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      db.pragma('synchronous = FULL');
    }
  }

  private requireOpen(): { db: Database.Database; parts: StoreParts; tx: Transactions } {
    if (!this.db || !this.parts || !this.tx) throw new Error('store is not open');
    return { db: this.db, parts: this.parts, tx: this.tx };
  }
}
