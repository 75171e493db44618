/** What a TaskwireServer can be told, and its defaults. */
import type { TaskHandler } from '../handlers/run-handler.ts';
import type { Store } from '../store/types.ts';
import type { AuthOptions } from './auth/task-port-auth.ts';
import type { HttpListenerOptions } from './http/http-listener.ts';
import type { Logger } from './logger.ts';
import { LIMIT_DEFAULTS } from './session/limits.ts';
import type { TlsFiles } from './session/tls.ts';

export interface ServerOptions extends AuthOptions {
  /** Where tasks are kept; `openStoreFromOption` builds one from a `--store` style string. */
  store: Store;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  delayScale?: number;
  /** Tasks the built-in executor runs at once. */
  concurrency?: number;
  /** Run the built-in executor (default true). */
  local?: boolean;
  /** Extra handlers for the built-in executor, by task type. */
  handlers?: ReadonlyMap<string, TaskHandler>;
  /** Task types accepted beyond those the executor runs and those workers have declared. */
  types?: readonly string[];
  leaseMs?: number;
  /**
   * Per task type, how long one attempt may run (ms) when the task has no `timeout` of its
   * own (`--task-timeout flip=10s`); past it the attempt fails with `timeout`.
   */
  taskTimeouts?: ReadonlyMap<string, number>;
  maxAttempts?: number;
  retryBaseMs?: number;
  maxLineBytes?: number;
  /**
   * Requests one connection may have in flight (waits included) before the server stops
   * reading it; it reads again once half of them are answered.
   */
  maxInFlight?: number;
  /** Connections served at once; the next one is told TOO_MANY_CONNECTIONS and closed. */
  maxConnections?: number;
  /** A connection whose unfinished line is older than this is closed (slowloris). */
  lineTimeoutMs?: number;
  /** Bytes of answers that may wait for a peer that does not read them; past it: closed. */
  maxPendingBytes?: number;
  /** A peer that takes none of its waiting answers for this long is closed. */
  writeDeadlineMs?: number;
  /** Deepest nesting of a request line (objects and arrays); deeper: PAYLOAD_TOO_COMPLEX. */
  maxDepth?: number;
  /** Distinct object key names in one request line; more: PAYLOAD_TOO_COMPLEX. */
  maxKeys?: number;
  /** Serve the task port over TLS (`ca`: require client certificates that chain to it). */
  tls?: TlsFiles;
  /** How long a TLS handshake may take before the socket is closed. */
  tlsHandshakeTimeoutMs?: number;
  /** How long running tasks get to finish on close before they go back to the queue. */
  graceMs?: number;
  /** Serves probes, metrics and the dashboard over HTTP at this address (see observability.md). */
  http?: HttpListenerOptions;
  /** How often the metrics' task counts are read again from the store (ms; 0: at start only). */
  metricsReconcileMs?: number;
  /**
   * How long finished tasks (done, canceled) and their attempts and results are kept after
   * they finished (ms); null or 0 keeps them forever. Default 7 days.
   */
  retentionMs?: number | null;
  /** The same for failed tasks (they are what people come back to look at). Default 30 days. */
  retentionFailedMs?: number | null;
  /** How often the retention sweep runs (ms). */
  pruneIntervalMs?: number;
  /** Opens the legacy tally port (seed-003 workers) on a tally of `keys` × `reps`. */
  tally?: { port: number; keys: number; reps: number };
  logger?: Logger;
  now?: () => number;
  /** Aborting it closes the server. */
  signal?: AbortSignal;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 5000,
  delayScale: 1,
  concurrency: 1,
  leaseMs: 30_000,
  maxAttempts: 3,
  retryBaseMs: 1000,
  maxLineBytes: 1024 * 1024,
  maxInFlight: 16_384,
  ...LIMIT_DEFAULTS,
  graceMs: 10_000,
  metricsReconcileMs: 60_000,
  retentionMs: (7 * DAY_MS) as number | null,
  retentionFailedMs: (30 * DAY_MS) as number | null,
  pruneIntervalMs: 1000,
};

export type ResolvedOptions = ServerOptions & typeof DEFAULTS;

/** The options with every default filled in (an undefined value counts as not given). */
export function resolveOptions(options: ServerOptions): ResolvedOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...DEFAULTS, ...given } as ResolvedOptions;
}
