/** Errors the client library throws; each is a named class so callers can use `instanceof`. */
import { ErrorCode, type ErrorCodeName, errorCodeName } from '../protocol/errors.ts';
import type { RpcErrorObject } from '../protocol/messages.ts';
import { formatAddress } from './address.ts';

export { formatAddress };

/** The server answered a request with an error object. */
export class RpcError extends Error {
  override readonly name: string = 'RpcError';
  readonly code: number;
  readonly data: unknown;

  constructor(error: RpcErrorObject) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }

  /** The catalogue name of the code (e.g. `TASK_NOT_FOUND`), if taskwire defines it. */
  get codeName(): ErrorCodeName | undefined {
    return errorCodeName(this.code);
  }
}

/**
 * The server refused the token (UNAUTHORIZED): wrong, missing, removed from its auth file,
 * or sent too late. The server closed the connection; the client does not reconnect.
 */
export class AuthError extends RpcError {
  override readonly name = 'AuthError';
}

/** The token lacks a role the method needs (FORBIDDEN); the connection keeps working. */
export class ForbiddenError extends RpcError {
  override readonly name = 'ForbiddenError';
}

/**
 * TASK_PRUNED: the task (or tally) was finished and the server's retention has deleted it
 * since; distinct from TASK_NOT_FOUND, an id the server never handed out.
 */
export class TaskPrunedError extends RpcError {
  override readonly name = 'TaskPrunedError';
}

/** The error class for a server's error object: its own class for the codes that have one. */
export function rpcError(error: RpcErrorObject): RpcError {
  if (error.code === ErrorCode.UNAUTHORIZED) return new AuthError(error);
  if (error.code === ErrorCode.FORBIDDEN) return new ForbiddenError(error);
  if (error.code === ErrorCode.TASK_PRUNED) return new TaskPrunedError(error);
  return new RpcError(error);
}

/**
 * The client could not open a connection; the message is one line naming the address, or
 * with several addresses every address tried and why each failed.
 */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  /** The (first) address tried. */
  readonly host: string;
  readonly port: number;
  /** The system error code, e.g. `ECONNREFUSED`, or `ETIMEDOUT` after `connectTimeoutMs`. */
  readonly code: string;
  /** One error per address tried, in order (just this error for a single address). */
  readonly failures: readonly ConnectError[];

  /** `failures`: with several addresses, the error of each (this one then stands for all). */
  constructor(host: string, port: number, cause: unknown, failures?: readonly ConnectError[]) {
    const code = systemErrorCode(cause);
    const message =
      failures && failures.length > 1
        ? `cannot connect to any of ${failures.map((f) => `${formatAddress(f.host, f.port)} (${f.code})`).join(', ')}`
        : `cannot connect to ${formatAddress(host, port)} (${code})`;
    super(message, { cause });
    this.host = host;
    this.port = port;
    this.code = code;
    this.failures = failures && failures.length > 1 ? failures : [this];
  }

  /** One error for a round over several addresses; a single failure is returned as it is. */
  static all(failures: readonly ConnectError[]): ConnectError {
    const [first] = failures;
    if (!first) throw new TypeError('ConnectError.all needs at least one failure');
    if (failures.length === 1) return first;
    return new ConnectError(first.host, first.port, first.cause, failures);
  }
}

/** The connection dropped (or could not be restored) before the server answered. */
export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
  readonly method: string;

  constructor(method: string, address: string, cause?: unknown) {
    const submitted = method === 'submit' || method === 'submitMany';
    super(
      submitted
        ? `connection to ${address} lost before the server answered ${method}: the task may or may not have been accepted`
        : `connection to ${address} lost before the server answered ${method}`,
      cause === undefined ? undefined : { cause },
    );
    this.method = method;
  }
}

/** The call was made on, or was still pending when, the client was closed. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  readonly method: string;

  constructor(method: string) {
    super(`client closed before the server answered ${method}`);
    this.method = method;
  }
}

/** The system error code of a socket error; Node 20 wraps happy-eyeballs failures in an AggregateError. */
function systemErrorCode(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    if (err instanceof AggregateError && err.errors.length > 0)
      return systemErrorCode(err.errors[0]);
    return err.message;
  }
  return String(err);
}

/**
 * TLS failed: the server's certificate did not verify (unknown CA, wrong name, expired), the
 * server refused ours (mutual TLS), or the handshake broke (e.g. `tls` against a plain port).
 * Retrying cannot help, so the client does not reconnect after one: it fails its calls.
 */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  readonly host: string;
  readonly port: number;
  /** OpenSSL's or Node's code, e.g. `SELF_SIGNED_CERT_IN_CHAIN`, `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly code: string;

  constructor(host: string, port: number, cause: Error) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'TLS_ERROR';
    super(`TLS with ${formatAddress(host, port)} failed: ${cause.message} (${code})`, { cause });
    this.host = host;
    this.port = port;
    this.code = code;
  }
}

/** Certificate verification codes OpenSSL reports (X509_V_ERR_* without the prefix). */
const X509_CODES =
  /^(UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|CRL_)/;

/** The TlsError for a socket error of TLS's when `error` is one (else undefined). */
export function tlsFailureOf(
  error: unknown,
  at: { host: string; port: number },
): TlsError | undefined {
  return isTlsFailure(error) ? new TlsError(at.host, at.port, error) : undefined;
}

/** Whether a socket error is one of TLS's (verification, alert, protocol), not the network's. */
export function isTlsFailure(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return false;
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || X509_CODES.test(code);
}

/** A refusal (id null) that the server closes the connection after: calls.ts overLimit. */
export function refusesCalls(error: RpcError): boolean {
  return error.code === ErrorCode.LINE_TOO_LONG || error.code === ErrorCode.TOO_MANY_CONNECTIONS;
}
