/**
 * Builds the server's authentication from its options: the token store read from
 * `--auth-file` (a bad file fails the start), the throttle shared by the task port and the
 * HTTP listener, and the AuthChecker the dashboard uses. Also the start-time rules: protected
 * mode, and the legacy tally port only with `--legacy`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TypedEmitter } from '../../events/emitter.ts';
import type { ServerEvents } from '../events.ts';
import type { AuthChecker } from '../http/auth.ts';
import type { Logger } from '../logger.ts';
import { protectedModeProblem, taskPortProblem } from './protected-mode.ts';
import type { TaskPortAuth } from './session-access.ts';
import { AuthThrottle, addressOf, type ThrottleOptions } from './throttle.ts';
import { TokenStore } from './token-store.ts';

/** How long a connection has to authenticate by default (ms); see docs/security.md. */
export const DEFAULT_AUTH_TIMEOUT_MS = 3000;

export interface AuthOptions {
  /** `--auth-file`: tokens and their roles. */
  authFile?: string;
  /** `--auth-timeout` (ms). */
  authTimeoutMs?: number;
  /** `--legacy`: serve the seed line protocol and the tally port to loopback peers. */
  legacy?: boolean;
  /** The failed-attempt throttle (tests shorten it). */
  authThrottle?: Partial<ThrottleOptions>;
  insecure?: boolean;
}

/** Checks the start-time rules; throws an Error that says what to do. */
export function checkStartRules(
  opts: AuthOptions & { host: string; tally?: unknown; http?: { host: string; auth?: unknown } },
): void {
  const auth = opts.authFile !== undefined;
  const insecure = !!opts.insecure;
  const problem =
    taskPortProblem({ host: opts.host, auth, insecure }) ??
    (opts.http &&
      protectedModeProblem({
        what: 'the HTTP listener',
        host: opts.http.host,
        auth: auth || !!opts.http.auth,
        insecure,
        risk: 'read every task and act on the queue',
        need: 'the dashboard needs the admin role',
      }));
  if (problem) throw new Error(problem);
  if (auth && opts.tally !== undefined && !opts.legacy) {
    throw new Error(
      'the legacy tally port cannot authenticate: with --auth-file it needs --legacy ' +
        '(then only workers on this machine are served; see docs/security.md)',
    );
  }
}

/** Reads the auth file and builds what the task port needs. */
export async function loadTaskPortAuth(
  opts: AuthOptions,
  events: TypedEmitter<ServerEvents>,
  log: Logger,
): Promise<TaskPortAuth | undefined> {
  if (opts.authFile === undefined) return undefined;
  const tokens = await TokenStore.load(opts.authFile);
  log.info({ file: opts.authFile, tokens: tokens.size }, 'auth file read');
  return {
    tokens,
    throttle: new AuthThrottle(opts.authThrottle),
    timeoutMs: opts.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
    legacy: opts.legacy ?? false,
    events,
    log,
  };
}

/** The dashboard's AuthChecker on the same tokens and throttle as the task port. */
export function httpChecker(auth: TaskPortAuth): AuthChecker {
  return {
    async check(token, address) {
      const at = addressOf(address);
      const delayMs = auth.throttle.delay(at);
      if (delayMs > 0) await sleep(delayMs);
      const identity = auth.tokens.check(token);
      if (!identity) {
        const failures = auth.throttle.failed(at);
        auth.log.warn({ remote: address, failures }, 'HTTP authentication refused');
        return undefined;
      }
      auth.throttle.succeeded(at);
      return { roles: identity.roles };
    },
  };
}

/** SIGHUP: reads the auth file again; a bad file keeps the tokens in force and logs why. */
export async function reloadTokens(auth: TaskPortAuth): Promise<void> {
  try {
    const result = await auth.tokens.reload();
    auth.log.info({ file: auth.tokens.file, ...result }, 'auth file read again');
    auth.events.emit('auth:reloaded', result);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    auth.log.error(
      { file: auth.tokens.file, error: message },
      'auth file not read again; the tokens in force stay',
    );
    auth.events.emit('auth:reloaded', { error: message });
  }
}
