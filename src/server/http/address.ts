/**
 * Where the HTTP listener listens (`--http HOST:PORT`), and the protected-mode rule it shares
 * with the task port: an address other machines can reach needs authentication, or an
 * explicit acceptance of the risk.
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

/** Whether a host is this machine's loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const a = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === 'localhost';
}

/**
 * Why the HTTP listener must not start as configured, or undefined when it may: like the
 * task port, a listener other machines can reach refuses to start without authentication.
 */
export function httpProtectedModeProblem(opts: {
  host: string;
  auth: boolean;
  insecure: boolean;
}): string | undefined {
  if (opts.auth || opts.insecure || isLoopbackHost(opts.host)) return undefined;
  return (
    `the HTTP listener on ${opts.host} refuses to start without authentication: anyone who ` +
    'reaches it could read every task and act on the queue. Give --auth-file FILE (tokens ' +
    'with roles; the dashboard needs the admin role), or --insecure to accept the risk (a ' +
    'trusted network only)'
  );
}
