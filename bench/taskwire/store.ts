/**
 * Where the servers of a run keep their tasks (`npm run bench -- --store URL`).
 *
 * SQLite (the default): a file in the run's temp folder. PostgreSQL: a fresh database
 * `taskwire_bench_<random>` on the server the URL names, created through the URL's own
 * (admin) database for one run and dropped `WITH (FORCE)` when the run ends, whether it
 * succeeded, failed or was aborted. Should the bench process exit with one still there (a
 * second Ctrl-C, an uncaught error), its exit hook drops it from a short-lived child process.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import type { RunScope } from '../lib/scope.ts';
import { within } from '../lib/wait.ts';

/** The `--store` of the whole bench run. */
export type BenchStore = { kind: 'sqlite' } | { kind: 'postgres'; adminUrl: string };

/** The store of one run. */
export type RunStore = SqliteRunStore | PostgresRunStore;

export interface SqliteRunStore {
  kind: 'sqlite';
  /** The database file. */
  path: string;
}

export interface PostgresRunStore {
  kind: 'postgres';
  /** The run's database, as the servers get it. */
  url: string;
  database: string;
  /** The database CREATE and DROP and the statistics reads go through. */
  adminUrl: string;
}

/** Every database name the bench creates starts with this. */
const PREFIX = 'taskwire_bench_';
const CONNECT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 60_000;

/** Whether `value` names a PostgreSQL server (`postgres://` or `postgresql://`). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export function sqliteStore(dir: string): SqliteRunStore {
  return { kind: 'sqlite', path: join(dir, 'db') };
}

/** The server options that point a server at the store. */
export function storeArgs(store: RunStore): string[] {
  return store.kind === 'sqlite' ? ['--db', store.path] : ['--store', store.url];
}

/** Connects to `url`, runs `fn`, and always disconnects; every step bounded. */
export async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: 'taskwire-bench',
  });
  client.on('error', () => {}); // a failure also rejects the pending call
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await within(client.end(), 10_000, 'closing a PostgreSQL connection').catch(() => undefined);
  }
}

/** Fails with a clear message unless the admin URL answers and may create databases. */
export async function checkPostgres(adminUrl: string): Promise<string> {
  try {
    return await withPg(adminUrl, async (client) => {
      const { rows } = await client.query<{ version: string; create: boolean }>(
        `SELECT current_setting('server_version') AS version,
                (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS create`,
      );
      if (!rows[0]?.create) throw new Error('its user may not create databases');
      return rows[0].version;
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`--store ${redactUrl(adminUrl)}: ${message}`);
  }
}

/** The databases this process created and has not dropped yet: name → admin URL. */
const live = new Map<string, string>();

/** A synchronous last resort: the event loop is gone, so a child process drops them. */
function dropLeftovers(): void {
  if (live.size === 0) return;
  const byAdmin = new Map<string, string[]>();
  for (const [name, admin] of live) byAdmin.set(admin, [...(byAdmin.get(admin) ?? []), name]);
  const pgPath = createRequire(import.meta.url).resolve('pg');
  const script = `
    const pg = require(${JSON.stringify(pgPath)});
    const [url, names] = JSON.parse(process.argv[1]);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    client.connect()
      .then(async () => {
        for (const n of names) await client.query('DROP DATABASE IF EXISTS ' + client.escapeIdentifier(n) + ' WITH (FORCE)');
        await client.end();
      })
      .catch((e) => { process.stderr.write('bench: dropping ' + names.join(', ') + ': ' + e.message + '\\n'); process.exit(1); });`;
  for (const [admin, names] of byAdmin) {
    process.stderr.write(`bench: dropping the leftover database(s) ${names.join(', ')}\n`);
    spawnSync(process.execPath, ['-e', script, JSON.stringify([admin, names])], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 20_000,
    });
  }
  live.clear();
}
process.on('exit', dropLeftovers);

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withPg(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
  );
  live.delete(name);
}

/**
 * A fresh store for one run: a new SQLite file in a temp folder of the run, or a new
 * PostgreSQL database that the run's scope drops when it closes.
 */
export async function newRunStore(
  scope: RunScope,
  bench: BenchStore,
  log?: (line: string) => void,
): Promise<RunStore> {
  if (bench.kind === 'sqlite') return sqliteStore(await scope.tempDir());
  const database = `${PREFIX}${randomBytes(6).toString('hex')}`;
  const url = new URL(bench.adminUrl);
  url.pathname = `/${database}`;
  // Registered first: also a CREATE whose answer was lost gets dropped.
  live.set(database, bench.adminUrl);
  scope.defer(async () => {
    try {
      await dropDatabase(bench.adminUrl, database);
    } catch (error) {
      log?.(`could not drop database ${database}: ${error}`);
      throw error;
    }
  });
  await within(
    withPg(bench.adminUrl, (client) =>
      client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`),
    ),
    QUERY_TIMEOUT_MS,
    `creating database ${database}`,
    scope.signal,
  );
  return { kind: 'postgres', url: url.toString(), database, adminUrl: bench.adminUrl };
}
