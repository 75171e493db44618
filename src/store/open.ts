/** Picks and builds the store a `--db` style option names. */
import { PostgresStore } from './postgres/store.ts';
import { SqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

export interface StoreOptionSettings {
  /** Commits that survive a power loss (see each store's `fsync` option). */
  fsync?: boolean;
  /** Pooled connections of a PostgreSQL store. */
  poolSize?: number;
}

/**
 * The store named by `value`, not opened yet: `postgres://…` or `postgresql://…` is a
 * PostgreSQL database; `sqlite:PATH`, `sqlite://PATH` or a plain path (no `scheme://`) is a
 * SQLite file. Throws for any other scheme.
 */
export function openStoreFromOption(value: string, settings: StoreOptionSettings = {}): Store {
  const { fsync, poolSize } = settings;
  if (/^postgres(ql)?:\/\//i.test(value)) {
    return new PostgresStore({
      url: value,
      ...(fsync !== undefined && { fsync }),
      ...(poolSize !== undefined && { poolSize }),
    });
  }
  const sqlite = /^sqlite:(\/\/)?/i.exec(value);
  const path = sqlite ? value.slice(sqlite[0].length) : value;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path);
  if (scheme) {
    throw new Error(
      `unsupported store "${scheme[1]}:": use postgres://…, postgresql://…, sqlite:PATH or a file path`,
    );
  }
  if (path === '') throw new Error(`no database file in store option "${value}"`);
  return new SqliteStore({ path, ...(fsync !== undefined && { fsync }) });
}
