/**
 * The catalogue of error codes taskwire puts on the wire. Codes are stable: clients match
 * on them. Every code is documented in docs/protocol.md (a test checks this).
 */
export const ErrorCode = {
  // JSON-RPC 2.0 standard codes.
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  // taskwire codes.
  TASK_NOT_FOUND: 1001,
  UNKNOWN_TASK_TYPE: 1002,
  INVALID_TASK_DATA: 1003,
  TASK_NOT_CANCELABLE: 1004,
  LINE_TOO_LONG: 1005,
  INVALID_UTF8: 1006,
  STALE_LEASE: 1007,
  NOT_A_WORKER: 1008,
  TALLY_NOT_FOUND: 1009,
  INVALID_SCHEDULE: 1010,
  SCHEDULE_NOT_FOUND: 1011,
  /** No valid token (missing, wrong, removed, or too late): the connection is closed. */
  UNAUTHORIZED: 1012,
  /** The token lacks a role the method needs; the connection keeps working. */
  FORBIDDEN: 1013,
  TASK_PRUNED: 1014,
  TASK_NOT_RETRYABLE: 1015,
  // Limits (docs/security.md): refused before the request is parsed, or the connection is closed.
  PAYLOAD_TOO_COMPLEX: 1020,
  LINE_TIMEOUT: 1021,
  SHUTTING_DOWN: 2001,
  STORE_UNAVAILABLE: 2002,
  TOO_MANY_CONNECTIONS: 2010,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

const NAMES = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorCodeName]),
);

/** The catalogue name of a numeric code, or undefined for codes taskwire does not define. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return NAMES.get(code);
}

/** An error that maps to one wire error object. `data` goes to the client as is. */
export class TaskwireError extends Error {
  override readonly name = 'TaskwireError';
  readonly code: ErrorCodeValue;
  readonly data: unknown;

  constructor(
    code: ErrorCodeValue,
    message: string,
    options?: { data?: unknown; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
  }

  /** The catalogue name of this error's code, e.g. `TASK_NOT_FOUND`. */
  get codeName(): ErrorCodeName {
    return errorCodeName(this.code)!;
  }
}
