/** Numbered SQL migrations (`001_init.sql`, …), shared by the stores' migrate modules. */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Parses `001_init` style names; rejects anything else so a stray file cannot slip in. */
export function parseMigrations(files: Map<string, string>): Migration[] {
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

/** Refuses a database that a newer taskwire migrated: this one would misread it. */
export function assertNotNewer(newest: number | null, migrations: Migration[]): void {
  const known = migrations.at(-1)?.version ?? 0;
  if (newest !== null && newest > known) {
    throw new Error(
      `database schema is at version ${newest}, newer than this taskwire knows (${known})`,
    );
  }
}
