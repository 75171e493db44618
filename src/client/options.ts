/** What a Client can be told, its events, and the address list it resolves from them. */
import { randomUUID } from 'node:crypto';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import type { Json } from '../model/tasks.ts';
import type { MethodName, ParamsOf, ServerNotification } from '../protocol/messages.ts';
import type { TaskSpec, TaskView } from '../protocol/tasks.ts';
import {
  AddressError,
  formatAddress,
  parseAddressList,
  parsePort,
  type ServerAddress,
} from './address.ts';
import type { AuthError, RpcError, TlsError } from './errors.ts';

export interface ClientOptions {
  /** Default 127.0.0.1; the same as `addresses: [{host, port}]`. Not with `addresses`. */
  host?: string;
  /** Default 5000; with `addresses` as a string, the port of items that name none. */
  port?: number;
  /**
   * Servers to connect to (all sharing one database), as a list or as `"a:5000,b,[::1]:7000"`
   * (see `parseAddressList`). Connecting tries them in turn until one answers; after a drop
   * the client reconnects starting with the next one.
   */
  addresses?: readonly ServerAddress[] | string;
  /**
   * Where the first connection attempt starts: `'ordered'` (default) at the first address,
   * so the list reads as primary then fallbacks; `'random'` at a random one (then in list
   * order), to spread many clients over the servers.
   */
  order?: 'ordered' | 'random';
  /** Reconnect with backoff when the connection drops (default true). */
  reconnect?: boolean;
  /** Give up one connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Longest line accepted from the server (default 16 MiB). */
  maxLineBytes?: number;
  /**
   * Give every submit a unique key (a random UUID) unless it has one (see
   * SubmitOptions.idempotent): submits in flight when a connection drops are then sent again
   * on the next connection and still make one task each.
   */
  idempotent?: boolean;
  /**
   * A token for a server with `--auth-file`: sent as `auth`, the first message of every
   * connection (reconnections and failovers too). A refused token rejects with AuthError
   * and ends reconnecting.
   */
  token?: string;
  /**
   * Connect over TLS: `true` verifies the server's certificate against the system's CAs and
   * its name against the host; an object adds a CA, a name or a client certificate. A
   * certificate that does not verify rejects with TlsError and ends reconnecting.
   */
  tls?: boolean | ClientTlsOptions;
}

/** TLS settings of a client or worker (node:tls underneath). */
export interface ClientTlsOptions {
  /** PEM CA certificate(s) trusted besides the system's (a private or self-signed CA). */
  ca?: string | Buffer | (string | Buffer)[];
  /** The name the server's certificate must carry (default: the host connected to). */
  servername?: string;
  /** A client certificate and its key, for a server that requires one (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /**
   * `false` accepts any certificate: DANGEROUS, anyone on the path can read and change the
   * traffic. For a test against a throwaway certificate only.
   */
  rejectUnauthorized?: boolean;
}

/** The node:tls options of `tls`, or undefined for plain TCP; a given CA adds to the system's. */
export function tlsConnectOptions(
  tls: boolean | ClientTlsOptions | undefined,
): ConnectionOptions | undefined {
  if (!tls) return undefined;
  if (tls === true) return {};
  const { ca, ...rest } = tls;
  const extra = ca === undefined ? [] : Array.isArray(ca) ? ca : [ca];
  return { ...rest, ...(extra.length > 0 && { ca: [...rootCertificates, ...extra] }) };
}

export interface SubmitOptions {
  reps?: number;
  maxAttempts?: number;
  /** Higher runs first (-1000..1000, default 0). */
  priority?: number;
  /** Milliseconds from now until the task is due; it is `scheduled` until then. */
  delay?: number;
  /** How long one attempt may run (ms) before it fails with `timeout` (retries apply). */
  timeout?: number;
  /** When the task is due (a Date, an ISO 8601 string with a time zone, or ms since the epoch). */
  runAt?: Date | string | number;
  /**
   * A unique key: while a task of this type holds it (unfinished, or finished less than 24
   * hours ago), submitting again makes no new task and answers that task's id. A submit with a
   * key that was in flight when the connection dropped is sent again on the next connection.
   */
  key?: string;
  /**
   * Give this submit a random key (a UUID, see generatedKey) if it has none, so that it is sent
   * again, safely, when the connection drops before the answer. Costs a 36-character key per
   * task: on the wire, in the task's row and in the store's unique index of keys (measured: a
   * fifth of the submit throughput).
   */
  idempotent?: boolean;
}

/** A submit's params on the wire: the options as the protocol takes them. */
export function toSpec(
  type: string,
  data: Json,
  opts: SubmitOptions,
  idempotent: boolean,
): TaskSpec {
  const { runAt, idempotent: own, key, ...rest } = opts;
  const spec: TaskSpec = { type, data, ...rest };
  if (runAt !== undefined) {
    spec.runAt = typeof runAt === 'string' ? runAt : new Date(runAt).toISOString();
  }
  if (key !== undefined) spec.key = key;
  else if (own ?? idempotent) spec.key = generatedKey();
  return spec;
}

/**
 * A key for an idempotent submit: a random UUID of version 7 (RFC 9562), whose first 48 bits
 * are the time in ms. Keys made one after the other sort together, so the store inserts them
 * near each other in its index of keys: measured, a random version 4 UUID made a keyed submit
 * cost about 7.5 µs more in SQLite's store than one without a key, a version 7 one about 4.
 */
export function generatedKey(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: the variant bits stay
  const ms = now.toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}

/**
 * Whether a call may be sent again after its connection dropped: reads and cancels always;
 * submits when every task has a key (the server answers a resent one with the same task).
 */
export function resendable(method: string, params: unknown): boolean {
  switch (method) {
    case 'wait':
    case 'status':
    case 'cancel':
    case 'ping':
    case 'workers':
    case 'schedule.list':
      return true;
    case 'submit':
    case 'run':
      return typeof (params as TaskSpec).key === 'string';
    case 'submitMany':
      return (params as { tasks: TaskSpec[] }).tasks.every((t) => typeof t.key === 'string');
    default:
      return false;
  }
}

export interface WaitOptions {
  /** Called for each status or progress change the server pushes while waiting. */
  onUpdate?: (task: TaskView) => void;
  /** Stops waiting (the promise rejects with the signal's reason); the task keeps running. */
  signal?: AbortSignal;
}

/** The client's events and their payloads; `address` is `host:port` of the server concerned. */
export interface ClientEvents {
  /** Connected to `address` (a reconnection after a drop when `reconnected`). */
  'connection:opened': { address: string; reconnected: boolean };
  /** The connection to `address` dropped. */
  'connection:lost': { address: string; error: Error | undefined };
  /**
   * About to try `address`, after waiting `delayMs`: the first try of each round over the
   * address list waits for the backoff, the others go at once. `attempt` counts every try
   * since the drop (1-based); `round` counts passes over the list.
   */
  'connection:retrying': { address: string; attempt: number; round: number; delayMs: number };
  /**
   * The server at `address` refused the token (AuthError), or TLS failed (TlsError: a
   * certificate that does not verify): calls fail with `error`, no reconnection.
   */
  'connection:refused': { address: string; error: AuthError | TlsError };
  /** Every notification the server sends, including the `task.update`s routed to waits. */
  'server:notification': ServerNotification;
  /** An error response the server could not tie to a request (its id is null). */
  'server:error': { error: RpcError };
}

/** `call`'s params argument: optional for methods whose params may be undefined. */
export type ParamsArgs<M extends MethodName> =
  undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

export interface ResolvedOptions {
  addresses: readonly ServerAddress[];
  reconnect: boolean;
  idempotent: boolean;
  connectTimeoutMs: number;
  maxLineBytes: number;
  token?: string;
  tls?: ConnectionOptions;
}

/** The options with their defaults. */
export function resolveOptions(opts: ClientOptions): ResolvedOptions {
  return {
    addresses: resolveAddresses(opts),
    reconnect: opts.reconnect ?? true,
    idempotent: opts.idempotent ?? false,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    maxLineBytes: opts.maxLineBytes ?? 16 * 1024 * 1024,
    ...(opts.token !== undefined && { token: opts.token }),
    ...(opts.tls && { tls: tlsConnectOptions(opts.tls) }),
  };
}

/** What `retryMany` retries: tasks in `status` (default failed) of `type`, created since. */
export interface RetryManyOptions {
  status?: 'failed' | 'canceled';
  type?: string;
  /** Created at or after (a Date, an ISO 8601 string with a time zone, or ms since the epoch). */
  since?: Date | string | number;
}

export function retryManyParams(opts: RetryManyOptions): ParamsOf<'retryMany'> {
  const { since, ...rest } = opts;
  if (since === undefined) return rest;
  return { ...rest, since: typeof since === 'string' ? since : new Date(since).toISOString() };
}

/** The servers a client connects to: `addresses`, else `host`/`port` as a one-element list. */
export function resolveAddresses(opts: ClientOptions): ServerAddress[] {
  const defaultPort = opts.port ?? 5000;
  if (opts.addresses === undefined) {
    const host = opts.host ?? '127.0.0.1';
    if (host === '') throw new AddressError('the server host is empty');
    if (parsePort(String(defaultPort)) === undefined)
      throw new AddressError(`invalid port ${defaultPort}: expected 1-65535`);
    return [{ host, port: defaultPort }];
  }
  if (opts.host !== undefined) throw new TypeError('give either host or addresses, not both');
  if (typeof opts.addresses === 'string') return parseAddressList(opts.addresses, defaultPort);
  if (opts.addresses.length === 0) throw new AddressError('the server address list is empty');
  return opts.addresses.map(({ host, port }) => {
    if (typeof host !== 'string' || host === '')
      throw new AddressError(`invalid server address: host '${String(host)}'`);
    if (parsePort(String(port)) === undefined)
      throw new AddressError(`invalid server address ${formatAddress(host, port)}: bad port`);
    return { host, port };
  });
}
