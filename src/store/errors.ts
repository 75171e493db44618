/**
 * Store failures that are not the request's fault: the database is unreachable, shutting
 * down, out of space or busy. The server answers them with STORE_UNAVAILABLE; the request
 * may succeed later, without restarting anything.
 */

/**
 * A store operation that failed because the database could not be reached or dropped the
 * connection. Its `code` is a PostgreSQL SQLSTATE (the driver's own when it gave one, else
 * 08001 "cannot connect" or 08006 "connection failure"), so code that recognises driver
 * errors by their code treats it like any other database error; `cause` is the original.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * SQLSTATEs that mean the database cannot serve now: class 08 (connection exception), 53
 * (insufficient resources: disk full, out of memory, too many connections), 58 (system and
 * I/O errors); 57P01-57P05 (admin, crash or idle shutdown, cannot connect now); 57014 (a
 * statement timeout or cancel); 25006 (read-only: a standby after a failover).
 */
const PG_UNAVAILABLE = /^(08...|53...|58...|57P0[1-5]|57014|25006)$/;

/** Socket and name resolution errors of a connection attempt or a dropped connection. */
const NET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLite primary result codes (better-sqlite3 also reports extended ones such as
 * SQLITE_IOERR_WRITE, matched by prefix) for a full or failing disk, a locked database or an
 * unusable file. Constraint or SQL errors are not in it: they are bugs, not unavailability.
 */
const SQLITE_UNAVAILABLE =
  /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|NOMEM|READONLY|PROTOCOL|CORRUPT|NOTADB|PERM)(_|$)/;

/** True when `err` says the store cannot serve now (see the module comment). */
export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return PG_UNAVAILABLE.test(code) || NET_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.test(code);
}

/** True when `err` says the database is out of space (SQLite SQLITE_FULL, PostgreSQL 53100). */
export function isStoreFull(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === '53100' || (typeof code === 'string' && /^SQLITE_FULL(_|$)/.test(code));
}
