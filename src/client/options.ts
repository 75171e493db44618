/** What a Client can be told, its events, and the address list it resolves from them. */
import type { MethodName, ParamsOf, ServerNotification } from '../protocol/messages.ts';
import type { TaskView } from '../protocol/tasks.ts';
import {
  AddressError,
  formatAddress,
  parseAddressList,
  parsePort,
  type ServerAddress,
} from './address.ts';
import type { RpcError } from './errors.ts';

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
}

export interface SubmitOptions {
  reps?: number;
  maxAttempts?: number;
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
  connectTimeoutMs: number;
  maxLineBytes: number;
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
