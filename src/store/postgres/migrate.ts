/** Applies the numbered migrations in `migrations/` that a PostgreSQL database lacks. */
import type pg from 'pg';
import { assertNotNewer, parseMigrations } from '../migrations.ts';

/**
 * The advisory lock that serializes migrations across servers: "taskwire" in ASCII, read as
 * a 64-bit integer. Passed as text: it does not fit a JavaScript number exactly.
 */
const MIGRATION_LOCK = '8386110886542668389';

/**
 * Brings the schema up to date, in one transaction that first takes a transaction-level
 * advisory lock: servers starting at the same time wait for each other, and each one then
 * sees what the others applied. Each migration inserts its version row before it runs, so
 * none is ever applied twice; a failing migration rolls back whole (PostgreSQL DDL is
 * transactional). Refuses a database a newer taskwire migrated. Returns the versions applied.
 */
export async function migrate(client: pg.ClientBase, files: Map<string, string>) {
  const migrations = parseMigrations(files);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text    NOT NULL,
      applied_at bigint  NOT NULL
    )`);
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    assertNotNewer(rows[0]?.v ?? null, migrations);
    const applied: number[] = [];
    for (const m of migrations) {
      const { rowCount } = await client.query(
        `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)
         ON CONFLICT (version) DO NOTHING`,
        [m.version, m.name, Date.now()],
      );
      if (rowCount === 0) continue; // applied by an earlier start
      // A file of several statements: no parameters, so it goes as one simple query.
      await client.query(m.sql);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
