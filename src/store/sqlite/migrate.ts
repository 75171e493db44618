/** Applies the numbered migrations in `migrations/` that a SQLite database lacks. */
import type Database from 'better-sqlite3';
import { assertNotNewer, parseMigrations } from '../migrations.ts';

/**
 * Brings the schema up to date. Each migration runs in its own IMMEDIATE transaction that
 * first inserts its version row, so a second process starting at the same time either waits
 * for the lock and then finds the row (and skips), or fails: it never applies a migration
 * twice. Returns the versions applied now.
 */
export function migrate(db: Database.Database, files: Map<string, string>): number[] {
  const migrations = parseMigrations(files);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const newest = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
    v: number | null;
  };
  assertNotNewer(newest.v, migrations);
  const claim = db.prepare(
    `INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @now)
     ON CONFLICT (version) DO NOTHING`,
  );
  const applied: number[] = [];
  for (const m of migrations) {
    const apply = db.transaction(() => {
      const { changes } = claim.run({ version: m.version, name: m.name, now: Date.now() });
      if (changes === 0) return; // already applied, by an earlier start or a concurrent one
      db.exec(m.sql);
      applied.push(m.version);
    });
    apply.immediate();
  }
  return applied;
}
