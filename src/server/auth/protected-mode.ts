/**
 * Protected mode, shared by the task port and the HTTP listener: an address other machines
 * can reach needs authentication (`--auth-file`), or an explicit acceptance of the risk
 * (`--insecure`). Loopback without auth keeps working as it always did.
 */
import { isIP } from 'node:net';

/** Whether a host is this machine's loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const a = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === 'localhost';
}

/**
 * Why a listener must not start as configured, or undefined when it may. `what` names the
 * listener in the message ("the task port", "the HTTP listener").
 */
export function protectedModeProblem(opts: {
  what: string;
  host: string;
  auth: boolean;
  insecure: boolean;
  /** What anyone who reaches it could do, for the message. */
  risk: string;
  /** What the auth file must grant, for the message. */
  need: string;
}): string | undefined {
  if (opts.auth || opts.insecure || isLoopbackHost(opts.host)) return undefined;
  return (
    `${opts.what} on ${opts.host} refuses to start without authentication: anyone who ` +
    `reaches it could ${opts.risk}. Give --auth-file FILE (tokens with roles; ${opts.need}), ` +
    'or --insecure to accept the risk (a trusted network only)'
  );
}

/** Protected mode for the task port (`--host`). */
export function taskPortProblem(opts: {
  host: string;
  auth: boolean;
  insecure: boolean;
}): string | undefined {
  return protectedModeProblem({
    ...opts,
    what: 'the task port',
    risk: 'submit tasks, read every task and its result, and take work as a worker',
    need: 'see docs/security.md',
  });
}
