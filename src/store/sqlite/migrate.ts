/** Applies the numbered migrations in `migrations/` that a SQLite database lacks. */
import type Database from 'better-sqlite3';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Parses `001_init` style names; rejects anything else so a stray file cannot slip in. */
function parseMigrations(files: Map<string, string>): Migration[] {
  const migrations: Migration[] = [];
  for (const [name, sql] of files) {
    const match = /^(\d+)_[\w-]+$/.exec(name);
    if (!match) throw new Error(`migration file name must look like 001_name.sql: ${name}.sql`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`two migrations share version ${version}`);
    }
    migrations.push({ version, name, sql });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

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
  const known = migrations.at(-1)?.version ?? 0;
  if (newest.v !== null && newest.v > known) {
    throw new Error(
      `database schema is at version ${newest.v}, newer than this taskwire knows (${known})`,
    );
  }
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
