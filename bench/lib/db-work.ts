/**
 * The database work of a measurement window on PostgreSQL, for taskwire and the PostgreSQL
 * peers alike: transactions committed in the run's database (pg_stat_database), rows
 * inserted, updated and deleted in its user tables (pg_stat_user_tables, so system catalogs
 * and autovacuum's statistics are not counted), and WAL bytes written (the difference of
 * pg_current_wal_lsn(); the WAL is the cluster's, so a window in which another database wrote
 * rows gives no WAL figure).
 *
 * A backend publishes its counts at most once a second while busy and may keep them up to
 * 10 s once idle (PG 15+), but at once when it exits: take the snapshot after the window
 * once the processes that worked in the database have stopped (or, before a window, while
 * they are idle); each read is repeated until two reads SETTLE_POLL_MS apart agree, for at
 * most SETTLE_TIMEOUT_MS.
 */
import { type PostgresRunStore, withPg } from '../taskwire/store.ts';
import {
  type DbCounters,
  dbWork,
  dbWorkSamples,
  describeTables,
  lsnBytes,
  rowsOf,
  type TableRows,
} from './db-work-math.ts';
import { clusterCpuSeconds } from './procfs.ts';
import type { Sample } from './types.ts';
import { sleep } from './wait.ts';

/** What the `-db-` samples count, for taskwire and the PostgreSQL peers alike. */
export const DB_WORK_NOTE =
  '-db-xacts: pg_stat_database.xact_commit of the run’s database from before the first ' +
  'task is submitted (drain: queued) to after every process stopped (background sweeps and shutdown included), per ' +
  'task; -db-rows: n_tup_ins + n_tup_upd + n_tup_del of its tables (pg_stat_user_tables), ' +
  'per task; -db-wal: WAL bytes written over the same window (pg_current_wal_lsn), per task, ' +
  'left out when another database of the cluster wrote rows meanwhile; -db-cpu: CPU time ' +
  '(user + system) of the whole PostgreSQL cluster over the same window (its postmaster, ' +
  'backends, WAL writer, checkpointer, autovacuum; from /proc, so only for a cluster on this ' +
  'machine), per task, left out like the WAL';

const SETTLE_TIMEOUT_MS = 5000;
const SETTLE_POLL_MS = 250;

/** The database a snapshot reads: the run's own, and the admin one the counters are read from. */
export type DbTarget = Pick<PostgresRunStore, 'url' | 'adminUrl' | 'database'>;

async function readOnce(db: DbTarget): Promise<DbCounters> {
  // Database-wide counters and the WAL position from the admin database, so those reads do
  // not count themselves; the tables' counters need a session in the run's database.
  const wide = await withPg(db.adminUrl, async (client) => {
    const { rows } = await client.query<{
      commits: string;
      rollbacks: string;
      lsn: string;
      other: string;
      pid: number;
    }>(
      `SELECT d.xact_commit AS commits, d.xact_rollback AS rollbacks,
              pg_current_wal_lsn()::text AS lsn, pg_backend_pid() AS pid,
              (SELECT coalesce(sum(tup_inserted + tup_updated + tup_deleted), 0)
                 FROM pg_stat_database WHERE datname IS NOT NULL AND datname <> $1) AS other
         FROM pg_stat_database d WHERE d.datname = $1`,
      [db.database],
    );
    const row = rows[0];
    if (!row) throw new Error(`no statistics for database ${db.database}`);
    return { ...row, cpu: await clusterCpuSeconds(row.pid) };
  });
  const tables = await withPg(db.url, async (client) => {
    const { rows } = await client.query<{
      name: string;
      ins: string;
      upd: string;
      hot: string;
      del: string;
    }>(
      `SELECT schemaname || '.' || relname AS name, n_tup_ins AS ins, n_tup_upd AS upd,
              n_tup_hot_upd AS hot, n_tup_del AS del
         FROM pg_stat_user_tables`,
    );
    const out: Record<string, TableRows> = {};
    for (const r of rows) {
      out[r.name] = {
        ins: Number(r.ins),
        upd: Number(r.upd),
        hot: Number(r.hot),
        del: Number(r.del),
      };
    }
    return out;
  });
  return {
    commits: Number(wide.commits),
    rollbacks: Number(wide.rollbacks),
    tables,
    walBytes: lsnBytes(wide.lsn),
    otherRows: Number(wide.other),
    ...(wide.cpu !== undefined && { cpuSeconds: wide.cpu }),
  };
}

function settledKey(c: DbCounters): string {
  const rows = Object.values(c.tables).reduce((sum, t) => sum + rowsOf(t), 0);
  return `${c.commits}|${c.rollbacks}|${rows}`;
}

/** The counters of the run's database, once two reads agree (see the header). */
export async function dbCounters(db: DbTarget, signal: AbortSignal): Promise<DbCounters> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let last = await readOnce(db);
  for (;;) {
    await sleep(SETTLE_POLL_MS, signal);
    const now = await readOnce(db);
    if (settledKey(now) === settledKey(last) || performance.now() > deadline) return now;
    last = now;
  }
}

/** A measurement window's database work: started with `meterDbWork`, read with `finish`. */
export interface DbWorkMeter {
  /**
   * Reads the counters again (after the processes stopped) and returns the `NAME-db-*`
   * samples per task, with a line that tells the rows per table and any caveat.
   */
  finish(
    name: string,
    tasks: number,
    signal: AbortSignal,
  ): Promise<{ samples: Sample[]; line: string }>;
}

/** Takes the "before" snapshot of a window (call while the processes are idle). */
export async function meterDbWork(db: DbTarget, signal: AbortSignal): Promise<DbWorkMeter> {
  const before = await dbCounters(db, signal);
  return {
    async finish(name, tasks, signal) {
      const work = dbWork(before, await dbCounters(db, signal), tasks);
      const caveats = [
        ...(work.rollbacks > 0 ? [`${work.rollbacks} transaction(s) rolled back`] : []),
        ...(work.otherRows > 0
          ? [`no WAL figure: other databases wrote ${work.otherRows} rows in the window`]
          : []),
      ];
      const line = `${name} db rows per task: ${describeTables(work)}${caveats.length ? `; ${caveats.join('; ')}` : ''}`;
      return { samples: dbWorkSamples(name, work), line };
    },
  };
}
