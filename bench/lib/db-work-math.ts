/**
 * The arithmetic of the database work per task (db-work.ts reads the counters): deltas of
 * PostgreSQL's statistics between two snapshots of one database, per task.
 */
import type { Sample } from './types.ts';

/** Rows one table had inserted, updated (of which HOT) and deleted, as pg_stat_user_tables counts. */
export interface TableRows {
  ins: number;
  upd: number;
  hot: number;
  del: number;
}

/** What PostgreSQL counted for the run's database at one moment. */
export interface DbCounters {
  commits: number;
  rollbacks: number;
  /** Per user table (schema.name). */
  tables: Record<string, TableRows>;
  /** The cluster's WAL insert position, in bytes (pg_current_wal_lsn()). */
  walBytes: bigint;
  /** Rows written in the cluster's other databases (they share its WAL). */
  otherRows: number;
  /** CPU seconds of the whole cluster so far, when it runs on this machine. */
  cpuSeconds?: number;
}

export interface DbWork {
  tasks: number;
  commits: number;
  rollbacks: number;
  rows: number;
  tables: Record<string, TableRows>;
  walBytes: number;
  /** Rows the other databases wrote meanwhile: when above 0, the WAL figure is theirs too. */
  otherRows: number;
  /** CPU seconds the cluster used in the window, when it runs on this machine. */
  cpuSeconds?: number;
}

const ZERO: TableRows = { ins: 0, upd: 0, hot: 0, del: 0 };

/** Parses an LSN such as `0/16B3748` (high/low 32-bit halves, hexadecimal) into bytes. */
export function lsnBytes(lsn: string): bigint {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(lsn.trim());
  if (!m) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

export function rowsOf(t: TableRows): number {
  return t.ins + t.upd + t.del;
}

/** after − before, for `tasks` tasks; tables that wrote nothing are left out. */
export function dbWork(before: DbCounters, after: DbCounters, tasks: number): DbWork {
  if (!(tasks > 0)) throw new RangeError('tasks must be > 0');
  const tables: Record<string, TableRows> = {};
  for (const [name, a] of Object.entries(after.tables)) {
    const b = before.tables[name] ?? ZERO;
    const d = { ins: a.ins - b.ins, upd: a.upd - b.upd, hot: a.hot - b.hot, del: a.del - b.del };
    if (rowsOf(d) > 0) tables[name] = d;
  }
  return {
    tasks,
    commits: after.commits - before.commits,
    rollbacks: after.rollbacks - before.rollbacks,
    rows: Object.values(tables).reduce((sum, t) => sum + rowsOf(t), 0),
    tables,
    walBytes: Number(after.walBytes - before.walBytes),
    otherRows: after.otherRows - before.otherRows,
    ...(before.cpuSeconds !== undefined &&
      after.cpuSeconds !== undefined && { cpuSeconds: after.cpuSeconds - before.cpuSeconds }),
  };
}

/**
 * `NAME-db-xacts`, `NAME-db-rows` and `NAME-db-wal` per task; the WAL sample only when no
 * other database of the cluster wrote a row in the window (the WAL is the cluster's).
 */
export function dbWorkSamples(name: string, work: DbWork): Sample[] {
  const per = (n: number) => n / work.tasks;
  const samples: Sample[] = [
    {
      name: `${name}-db-xacts`,
      unit: 'xact/task',
      value: per(work.commits),
      higherIsBetter: false,
    },
    { name: `${name}-db-rows`, unit: 'rows/task', value: per(work.rows), higherIsBetter: false },
  ];
  if (work.otherRows === 0) {
    samples.push({
      name: `${name}-db-wal`,
      unit: 'B/task',
      value: per(work.walBytes),
      higherIsBetter: false,
    });
    if (work.cpuSeconds !== undefined) {
      samples.push({
        name: `${name}-db-cpu`,
        unit: 'µs/task',
        value: (work.cpuSeconds * 1e6) / work.tasks,
        higherIsBetter: false,
      });
    }
  }
  return samples;
}

/** One line: the rows per task of each table, e.g. `tasks ins 1 upd 2 (hot 1.5) del 0`. */
export function describeTables(work: DbWork): string {
  const f = (n: number) => {
    const v = n / work.tasks;
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) < 0.01 ? v.toPrecision(2) : v.toFixed(3);
  };
  const parts = Object.entries(work.tables)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, t]) =>
        `${name} ins ${f(t.ins)} upd ${f(t.upd)}${t.hot ? ` (hot ${f(t.hot)})` : ''} del ${f(t.del)}`,
    );
  return parts.length > 0 ? parts.join('; ') : 'no rows written';
}
