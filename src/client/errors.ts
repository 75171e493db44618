/** Errors the client library throws; each is a named class so callers can use `instanceof`. */
import { type ErrorCodeName, errorCodeName } from '../protocol/errors.ts';
import type { RpcErrorObject } from '../protocol/messages.ts';

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The server answered a request with an error object. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
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

/** The client could not open a connection; the message is one line naming the address. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  readonly host: string;
  readonly port: number;
  /** The system error code, e.g. `ECONNREFUSED`, or `ETIMEDOUT` after `connectTimeoutMs`. */
  readonly code: string;

  constructor(host: string, port: number, cause: unknown) {
    const code = systemErrorCode(cause);
    super(`cannot connect to ${formatAddress(host, port)} (${code})`, { cause });
    this.host = host;
    this.port = port;
    this.code = code;
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
