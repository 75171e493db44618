/**
 * The PostgreSQL peers' "server": a fresh database on the `--store` server for each run,
 * made and dropped exactly as taskwire's are (taskwire/store.ts), with the peer's schema
 * installed before anything is timed. Also the small SQL helpers their producers and
 * checks share.
 */
import pg from 'pg';
import { RunScope } from '../../lib/scope.ts';
import { newRunStore, redactUrl, withPg } from '../../taskwire/store.ts';
import type { PeerServer } from '../servers.ts';
import { PeerRunError } from '../util.ts';

/** A run's database as a PeerServer: no process of ours; `stop` drops the database. */
export async function freshDatabase(
  adminUrl: string,
  label: string,
  signal: AbortSignal,
  install: (url: string) => Promise<void>,
): Promise<PeerServer> {
  const scope = new RunScope(signal);
  try {
    const store = await newRunStore(scope, { kind: 'postgres', adminUrl });
    if (store.kind !== 'postgres') throw new Error('expected a PostgreSQL store');
    await install(store.url);
    const failure = new Promise<never>(() => {});
    return {
      label: `${label} on ${redactUrl(adminUrl)} (database ${store.database})`,
      port: 0,
      pid: null,
      db: store,
      failure,
      stop: () => scope.close(),
    };
  } catch (error) {
    await scope.close().catch(() => undefined);
    throw error;
  }
}

/** The run's database URL; throws for a server that is not one of the PostgreSQL peers'. */
export function dbUrl(server: PeerServer): string {
  if (!server.db) throw new PeerRunError(`${server.label}: no database`);
  return server.db.url;
}

/** Runs one query on the run's database (a connection of its own, closed after). */
export async function queryRows<T extends pg.QueryResultRow>(
  server: PeerServer,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withPg(dbUrl(server), async (client) => (await client.query<T>(sql, params)).rows);
}

/** A connection kept open by a latency producer, for re-reading one job's row. */
export async function openClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    query_timeout: 10_000,
    application_name: 'taskwire-bench-peer',
  });
  client.on('error', () => {}); // a failure also rejects the pending query
  await client.connect();
  return client;
}

/**
 * Re-reads a job back to back until `done(row)` says it is finished (neither PostgreSQL
 * peer pushes a completion to the producer); resolves with hrtime at that moment.
 */
export async function pollUntil(
  client: pg.Client,
  sql: string,
  params: unknown[],
  done: (rows: pg.QueryResultRow[]) => boolean,
  timeoutMs: number,
): Promise<bigint> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query(sql, params);
    const at = process.hrtime.bigint();
    if (done(rows)) return at;
    if (performance.now() > deadline) {
      throw new PeerRunError(`job not finished within ${timeoutMs / 1000} s`);
    }
  }
}
