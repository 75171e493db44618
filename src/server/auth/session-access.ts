/**
 * Authentication of one task-port connection, and the role check of each of its requests.
 * With auth on, the first message must be `auth` within the auth timeout; the token's
 * identity is attached to the session once, and every request is checked against
 * METHOD_ROLES in `permit` (one generation compare and one AND: no hashing per request).
 * Without a valid identity a request is refused with UNAUTHORIZED and the connection is
 * closed after the answer; a method outside the roles gets FORBIDDEN and the connection
 * keeps working.
 */
import type { TypedEmitter } from '../../events/emitter.ts';
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import type { ServerEvents } from '../events.ts';
import type { Logger } from '../logger.ts';
import { isLoopbackHost } from './protected-mode.ts';
import { ALL_ROLES, permits, rolesOf } from './roles.ts';
import { type AuthThrottle, addressOf } from './throttle.ts';
import type { Identity, TokenStore } from './token-store.ts';

/** The task port's authentication, shared by its connections. */
export interface TaskPortAuth {
  tokens: TokenStore;
  throttle: AuthThrottle;
  /** How long a connection has to authenticate (ms). */
  timeoutMs: number;
  /** `--legacy`: seed lines are served to loopback peers, as a client. */
  legacy: boolean;
  events: TypedEmitter<ServerEvents>;
  log: Logger;
}

/** What the access check needs from its connection. */
export interface AccessHost {
  readonly remote: string;
  /** Sends this error (no request id) and closes once it is written. */
  refuse(error: TaskwireError): void;
  /** Stops reading lines until `resume` (an attempt waits out the throttle). */
  hold(): void;
  resume(): void;
}

function unauthorized(message: string): TaskwireError {
  return new TaskwireError(ErrorCode.UNAUTHORIZED, message);
}

export class SessionAccess {
  private identity: Identity | undefined;
  private generation = -1;
  private timer: NodeJS.Timeout | undefined;
  /** Set once the connection is being closed for a refusal: nothing else is served. */
  refused = false;
  /** An auth attempt is waiting out the throttle. */
  private pending = false;
  private legacyClient = false;

  constructor(
    private readonly auth: TaskPortAuth,
    private readonly host: AccessHost,
  ) {
    this.timer = setTimeout(() => this.timedOut(), auth.timeoutMs);
  }

  /** The connection closed. */
  dispose(): void {
    clearTimeout(this.timer);
  }

  /**
   * Whether this connection may call `method`: undefined, or the error to answer. An
   * UNAUTHORIZED answer also closes the connection (see AccessHost.refuse's caller).
   */
  permit(method: string): TaskwireError | undefined {
    if (method === 'auth') return undefined;
    let id = this.identity;
    if (id === undefined) return this.closeWith('not-authenticated', this.firstMessageError());
    if (this.generation !== this.auth.tokens.generation) {
      id = this.refresh();
      if (id === undefined) {
        return this.closeWith('revoked', unauthorized('this token is no longer valid; closing'));
      }
    }
    if (permits(id.mask, method)) return undefined;
    this.auth.events.emit('auth:forbidden', { remote: this.host.remote, method });
    this.auth.log.info({ remote: this.host.remote, method, roles: id.roles }, 'forbidden');
    return new TaskwireError(
      ErrorCode.FORBIDDEN,
      `${method} needs a role this token lacks (it has: ${id.roles.join(', ')})`,
      { data: { method, roles: id.roles } },
    );
  }

  /**
   * For a line that is no valid request (not JSON, not JSON-RPC, an unknown method): before
   * `auth` it is refused like any other first message; after, undefined (answered as usual).
   */
  beforeAuth(): TaskwireError | undefined {
    if (this.identity !== undefined || this.pending) return undefined;
    return this.closeWith('not-authenticated', this.firstMessageError());
  }

  /**
   * Whether a seed-000 line may be served: it acts as a client, so it needs a token with the
   * client role, or `--legacy` and a peer on this machine. 'refused' closes the connection.
   */
  permitLegacyLine(): 'ok' | 'forbidden' | 'refused' {
    const id = this.identity && this.refresh();
    if (id) return permits(id.mask, 'submit') ? 'ok' : 'forbidden';
    if (this.auth.legacy && isLoopbackHost(addressOf(this.host.remote))) {
      if (!this.legacyClient) {
        this.legacyClient = true;
        clearTimeout(this.timer);
      }
      return 'ok';
    }
    this.closeWith('legacy', unauthorized('the seed line protocol needs --legacy'));
    return 'refused';
  }

  /** The `auth` method: checks the token (after the throttle's delay) and attaches it. */
  async authenticate(token: string): Promise<{ roles: string[] }> {
    if (this.pending) throw this.closeWith('not-authenticated', unauthorized('one auth at a time'));
    clearTimeout(this.timer);
    const address = addressOf(this.host.remote);
    const { throttle, tokens, events, log } = this.auth;
    const delayMs = throttle.delay(address);
    if (delayMs > 0) {
      events.emit('auth:delayed', { remote: this.host.remote, delayMs });
      this.pending = true;
      this.host.hold();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      this.pending = false;
      this.host.resume();
    }
    const identity = tokens.check(token);
    if (!identity) {
      const failures = throttle.failed(address);
      this.identity = undefined;
      throw this.closeWith(
        'unknown-token',
        unauthorized('invalid token; closing the connection'),
        failures,
      );
    }
    throttle.succeeded(address);
    this.identity = identity;
    this.generation = tokens.generation;
    events.emit('auth:accepted', { remote: this.host.remote, roles: identity.roles });
    log.info({ remote: this.host.remote, roles: identity.roles }, 'authenticated');
    return { roles: [...identity.roles] };
  }

  /**
   * Who this connection is, for logs of what it did (an operator's retry): the first 8 hex
   * digits of its token's SHA-256 (the token itself is never kept) and its roles.
   */
  get name(): string | undefined {
    const id = this.refresh();
    return id && `token ${id.key.slice(0, 8)} (${id.roles.join(',')})`;
  }

  /** The identity of the current generation, or undefined once its token was removed. */
  private refresh(): Identity | undefined {
    const { tokens } = this.auth;
    if (this.generation === tokens.generation) return this.identity;
    this.identity = this.identity && tokens.current(this.identity.key);
    this.generation = tokens.generation;
    return this.identity;
  }

  private firstMessageError(): TaskwireError {
    return unauthorized(
      this.legacyClient
        ? 'authenticate first: native requests need an auth message with a token'
        : 'authenticate first: the first message must be auth with a token',
    );
  }

  private timedOut(): void {
    if (this.identity || this.refused) return;
    this.host.refuse(
      this.closeWith(
        'timeout',
        unauthorized(`no auth within ${this.auth.timeoutMs} ms; closing the connection`),
      ),
    );
  }

  /** Marks the connection refused (the caller's answer goes out, then it closes). */
  private closeWith(
    reason: ServerEvents['auth:refused']['reason'],
    error: TaskwireError,
    failures?: number,
  ): TaskwireError {
    if (!this.refused) {
      this.refused = true;
      clearTimeout(this.timer);
      const remote = this.host.remote;
      this.auth.events.emit('auth:refused', { remote, reason, ...(failures && { failures }) });
      this.auth.log.warn(
        { remote, reason, ...(failures && { failures }) },
        'authentication refused; closing',
      );
    }
    return error;
  }
}

/** The roles a server without auth grants to `auth` (every role: nothing is checked). */
export function openAuthResult(): { roles: string[] } {
  return { roles: rolesOf(ALL_ROLES) };
}
