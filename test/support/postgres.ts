/**
 * PostgreSQL for tests: each test file gets a fresh database (dropped at the end unless a
 * test failed and left data to inspect), each store test its own schema in it.
 *
 * The admin URL comes from TASKWIRE_TEST_PG_ADMIN (default
 * postgres://postgres@127.0.0.1:5432/postgres). Without a reachable server the tests are
 * skipped, except in CI (the CI environment variable set), where they fail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL =
  process.env.TASKWIRE_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let availability: Promise<{ url: string } | { skip: string }> | undefined;

/**
 * Whether PostgreSQL is reachable at the admin URL: `{url}` (the admin URL) or `{skip}`
 * with the reason, for `describe(..., { skip })`. In CI an unreachable server throws
 * instead: the suite must not pass by skipping.
 */
export function pgAvailable(): Promise<{ url: string } | { skip: string }> {
  availability ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { url: PG_ADMIN_URL };
    } catch (err) {
      const reason = `${(err as Error).message || (err as { code?: string }).code || err}`;
      if (process.env.CI) {
        throw new Error(`PostgreSQL is required in CI: cannot reach ${PG_ADMIN_URL}: ${reason}`);
      }
      return { skip: `PostgreSQL not reachable at ${PG_ADMIN_URL}: ${reason}` };
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return availability;
}

/** Runs `fn` on a short-lived admin connection to `url`. */
export async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `url` with another database name. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** `url` with `search_path` set to `schema` for every connection made with it. */
export function schemaUrl(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export interface TestDatabase {
  /** The database's URL (schema public). */
  url: string;
  name: string;
  /** A fresh schema in the database and its URL; `drop` removes it. */
  schema(): Promise<{ url: string; name: string; drop(): Promise<void> }>;
  /** Keeps the database at `drop` (a test failed: its data is there to inspect). */
  keep(): void;
  /** Drops the database (WITH FORCE: closes what is still connected), unless kept. */
  drop(): Promise<string>;
}

/** Creates a fresh database `taskwire_t_<random>` through the admin URL. */
export async function createTestDatabase(adminUrl = PG_ADMIN_URL): Promise<TestDatabase> {
  const name = `taskwire_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = databaseUrl(adminUrl, name);
  let kept = false;
  let schemas = 0;
  const open = new Set<string>();
  return {
    url,
    name,
    async schema() {
      schemas += 1;
      const schema = `t${schemas}`;
      await withAdmin(url, (c) => c.query(`CREATE SCHEMA ${schema}`));
      open.add(schema);
      return {
        url: schemaUrl(url, schema),
        name: schema,
        async drop() {
          await withAdmin(url, (c) => c.query(`DROP SCHEMA ${schema} CASCADE`));
          open.delete(schema);
        },
      };
    },
    keep() {
      kept = true;
    },
    async drop() {
      if (kept || open.size > 0) {
        return `database kept for inspection: ${url} (schemas ${[...open].join(', ')})`;
      }
      await withAdmin(adminUrl, (c) =>
        c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      );
      return `database ${name} dropped`;
    },
  };
}
