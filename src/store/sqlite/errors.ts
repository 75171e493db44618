/** The SQLite store's own errors: each names the file and says why, in words a user can act on. */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The error for a file another process holds (SQLITE_BUSY, kept as its code). */
export function inUse(path: string, cause: unknown): Error {
  const message = `${path} is in use by another process (one taskwire server owns a SQLite file)`;
  return Object.assign(new Error(message, { cause }), { code: 'SQLITE_BUSY' });
}

/** The error of a close that could not write the release of its active leases. */
export function unclean(path: string, leases: number, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message =
    `${path}: the release of ${leases} active lease(s) could not be written at close ` +
    `(${reason}); the file is closed, and the next start takes them back as after a crash`;
  return withCode(new Error(message, { cause }), cause);
}

/**
 * The error of an open that failed: the path, and the cause as far as the file system tells
 * it (SQLite says "disk I/O error" for a read-only file, better-sqlite3 "the directory does
 * not exist" without saying which).
 */
export function openFailed(path: string, cause: unknown): Error {
  if ((cause as { code?: unknown }).code === 'SQLITE_BUSY') return inUse(path, cause);
  const reason = diagnose(path) ?? (cause instanceof Error ? cause.message : String(cause));
  return withCode(
    new Error(`cannot open the SQLite database ${path}: ${reason}`, { cause }),
    cause,
  );
}

function diagnose(path: string): string | undefined {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) return `the directory ${dir} does not exist`;
  if (existsSync(path) && !writable(path)) return 'the file is read-only for this user';
  if (!writable(dir)) {
    return `the directory ${dir} is not writable for this user (SQLite keeps the file's -wal beside it)`;
  }
  return undefined;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function withCode(error: Error, cause: unknown): Error {
  const code = (cause as { code?: unknown }).code;
  return code === undefined ? error : Object.assign(error, { code });
}
