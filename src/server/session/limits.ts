/**
 * What one connection may cost the server, and the refusals past each limit (docs/security.md,
 * "Limits"): how many connections, how long a half-sent line may stay half-sent, how many bytes
 * of answers may wait for a peer that does not read them and for how long, and how complex a
 * request line may be. Each refusal is one log line, and an error line where the peer can
 * still read one.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import {
  type JsonLimitProblem,
  type JsonLimits,
  jsonStringEnd,
} from '../../protocol/framing/json-limits.ts';
import type { RpcResponse } from '../../protocol/messages.ts';

export interface SessionLimits {
  /** Connections served at once; the next one is told TOO_MANY_CONNECTIONS and closed. */
  maxConnections: number;
  /** A line started but not finished for this long closes its connection (slowloris). */
  lineTimeoutMs: number;
  /** Bytes of answers waiting for the peer (ours and the socket's); past it: closed. */
  maxPendingBytes: number;
  /** Answers the peer has not taken for this long (no drain) close the connection. */
  writeDeadlineMs: number;
  /** Nesting depth and key count of one request line (checked before it is parsed). */
  json: JsonLimits;
}

/** The defaults and why (docs/security.md compares them with NATS's). */
export const LIMIT_DEFAULTS = {
  maxConnections: 65_536,
  lineTimeoutMs: 10_000,
  maxPendingBytes: 64 * 1024 * 1024,
  writeDeadlineMs: 10_000,
  maxDepth: 64,
  maxKeys: 10_000,
  tlsHandshakeTimeoutMs: 5_000,
} as const;

function errorLine(id: RpcResponse['id'], code: number, message: string, data: unknown): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message, data } })}\n`;
}

/** The line a connection past `--max-connections` gets before it is closed. */
export function tooManyConnectionsLine(max: number): string {
  return errorLine(
    null,
    ErrorCode.TOO_MANY_CONNECTIONS,
    `the server serves at most ${max} connections; closing (try again later)`,
    { limit: max },
  );
}

/** The line a connection gets when its unfinished line timed out (then it is closed). */
export function lineTimeoutLine(ms: number): string {
  return errorLine(
    null,
    ErrorCode.LINE_TIMEOUT,
    `a line was not finished within ${ms} ms; closing the connection`,
    { limitMs: ms },
  );
}

/** The answer to a request line over a JSON limit (refused unparsed, the connection stays). */
export function payloadTooComplexLine(
  id: RpcResponse['id'],
  problem: NonNullable<JsonLimitProblem>,
): string {
  const what =
    problem.limit === 'depth'
      ? `nested deeper than ${problem.max} levels`
      : `holds more than ${problem.max} distinct object key names`;
  return errorLine(id, ErrorCode.PAYLOAD_TOO_COMPLEX, `request refused: the line ${what}`, problem);
}

const QUOTE = 0x22;

/**
 * The `id` of a single request line that is not parsed (refused over a limit): the value of
 * the key `id` of the outer object when it is a number or a string, else null. A refused
 * request is rare, so this second scan costs nothing on the hot path.
 */
export function topLevelId(buf: Buffer): RpcResponse['id'] {
  let depth = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === QUOTE) {
      const end = jsonStringEnd(buf, i + 1);
      if (depth === 1 && end - i === 3 && buf[i + 1] === 0x69 && buf[i + 2] === 0x64) {
        const value = idValue(buf, end + 1);
        if (value !== undefined) return value;
      }
      i = end;
    } else if (b === 0x7b || b === 0x5b) {
      depth++;
      if (depth === 1 && b === 0x5b) return null; // a batch: no single id
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
    }
  }
  return null;
}

/** The id after `"id"` at `from` (blanks, a colon, a number or a string), if it is one. */
function idValue(buf: Buffer, from: number): RpcResponse['id'] | undefined {
  const rest = buf.subarray(from, from + 300).toString('utf8');
  const m = /^\s*:\s*(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.){0,200}")/.exec(rest);
  if (!m) return undefined;
  try {
    const id = JSON.parse(m[1]!) as unknown;
    return typeof id === 'number' || typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
