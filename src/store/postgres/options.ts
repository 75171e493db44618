/** What a PostgresStore is opened with. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; `?options=-c search_path=...` works. */
  url: string;
  /** Pooled connections (default 10). */
  poolSize?: number;
  /**
   * Ask for commits that survive a power loss. PostgreSQL flushes its WAL at every commit
   * unless the server runs with `synchronous_commit = off`; the store never lowers that
   * setting (an acknowledged task is always committed by PostgreSQL's own standard). With
   * `fsync`, `open` refuses a server whose `synchronous_commit` is `off`; without it, a
   * commit survives a crash of the taskwire process either way.
   */
  fsync?: boolean;
  /** Gives up connecting after this long (default 5000 ms): calls reject, never hang. */
  connectTimeoutMs?: number;
  /** The server cancels a statement running longer (default 30,000 ms). */
  statementTimeoutMs?: number;
  /**
   * Send NOTIFY after changes (default true). Only a store that is alone on its database
   * can do without.
   */
  notify?: boolean;
  /**
   * The LISTEN/NOTIFY channel; default `taskwire`, or `taskwire.SCHEMA` for a schema other
   * than `public` (notifications are per database, and each schema is its own taskwire).
   */
  channel?: string;
}
