/**
 * Where the HTTP listener listens (`--http HOST:PORT`). Its protected-mode rule is the task
 * port's, in server/auth/protected-mode.ts.
 */
import { isIP } from 'node:net';

export interface HttpAddress {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (the host defaults to 127.0.0.1);
 * throws a RangeError that says what is wrong.
 */
export function parseHttpAddress(text: string): HttpAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw new RangeError(`expected HOST:PORT (e.g. 127.0.0.1:8080), got "${text}"`);
  const host = m[1] || m[2] || '127.0.0.1';
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535) {
    throw new RangeError(`the port must be 0 to 65535, got "${m[3]}"`);
  }
  if (m[1] && isIP(m[1]) !== 6) {
    throw new RangeError(`"${m[1]}" in brackets is not an IPv6 address`);
  }
  return { host, port };
}
