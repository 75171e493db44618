/** Maps any failure inside a request to the wire error the client gets. */
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';

/** True for errors raised by a database driver (SQLite or PostgreSQL). */
function isStoreError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  // better-sqlite3 codes start with SQLITE_; PostgreSQL SQLSTATEs are five characters;
  // connection failures carry errno codes.
  return (
    code.startsWith('SQLITE_') ||
    /^[0-9A-Z]{5}$/.test(code) ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET'
  );
}

/** The wire error for a failure, and whether it is unexpected (worth logging as an error). */
export function toWireError(error: unknown): { error: TaskwireError; unexpected: boolean } {
  if (error instanceof TaskwireError) return { error, unexpected: false };
  if (isStoreError(error)) {
    return {
      error: new TaskwireError(ErrorCode.STORE_UNAVAILABLE, `the store failed: ${error.message}`, {
        cause: error,
      }),
      unexpected: true,
    };
  }
  return {
    error: new TaskwireError(ErrorCode.INTERNAL_ERROR, 'internal error; see the server log', {
      cause: error,
    }),
    unexpected: true,
  };
}
