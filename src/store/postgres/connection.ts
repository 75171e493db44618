/**
 * Connections of the PostgreSQL store: the client settings, pipelined round trips over one
 * pooled connection, and the mapping of connection failures to StoreUnavailableError.
 */
import pg from 'pg';
import { StoreUnavailableError } from '../errors.ts';
import { allPrepared, runOneSync, type StatementResult } from './one-sync-query.ts';
import type { StatementName, Statements } from './statements.ts';

/** How the store reaches the database. */
export interface ConnectionSettings {
  url: string;
  /** Gives up connecting (or waiting for a free pooled connection) after this long. */
  connectTimeoutMs: number;
  /** The server cancels a statement running longer (`statement_timeout`). */
  statementTimeoutMs: number;
}

/**
 * bigint (int8) columns (ids, tokens, times in ms, counts) read as numbers, exact up to
 * 2^53: ids and tokens come from sequences that would take centuries to get there, and
 * times are milliseconds since the epoch. Other types keep pg's parsers.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? Number
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Server settings of the store's sessions, added to the URL's own `options`.
 *
 * plan_cache_mode: each prepared statement keeps its generic plan instead of being planned
 * again for each call's values. Those plans are the ones the statements are written for
 * (index lookups driven by the input arrays). Custom plans are worse here: the planner does
 * not know that the tokens a statement looks up are the few active leases, nor, without
 * fresh statistics, how the tables' live rows compare with their dead ones; with real
 * array sizes it picks hash joins over whole-table scans.
 */
const SESSION_OPTIONS = '-c plan_cache_mode=force_generic_plan';

/** `url` with `extra` appended to its `options` parameter (which a URL's would override). */
function withOptions(url: string, extra: string): string {
  const u = new URL(url);
  const current = u.searchParams.get('options');
  u.searchParams.set('options', current ? `${current} ${extra}` : extra);
  return u.toString();
}

/**
 * Settings of every connection, pooled or not. `statement_timeout` bounds each statement on
 * the server and `query_timeout` each reply on the client (a server that stopped answering);
 * `idle_in_transaction_session_timeout` ends a transaction whose process froze midway, so
 * its row locks do not block the other servers for long.
 */
export function clientConfig(settings: ConnectionSettings, applicationName: string) {
  return {
    connectionString: withOptions(settings.url, SESSION_OPTIONS),
    application_name: applicationName,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + settings.connectTimeoutMs,
    idle_in_transaction_session_timeout: settings.statementTimeoutMs,
    keepAlive: true,
    types,
  } satisfies pg.ClientConfig;
}

/** Query and round-trip counts of a store, for tests and measurements. */
export interface QueryStats {
  queries: number;
  roundTrips: number;
}

/** The rows of one statement of a pipeline, filled in when the pipeline's reply arrives. */
export interface Rows<T> {
  rows: T[];
}

/** Control statements sent as plain text (no parameters, nothing to prepare). */
type Control =
  | 'BEGIN'
  | 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'
  | 'COMMIT'
  | 'SET LOCAL enable_bitmapscan = off'
  | 'SET LOCAL enable_seqscan = off'
  | 'SET LOCAL synchronous_commit = off';

/**
 * Control statements run as named prepared statements too (short names: PostgreSQL cuts
 * names at 63 bytes), so that a pipeline of prepared statements goes out with one Sync.
 */
const CONTROL_NAMES: Record<Control, string> = {
  BEGIN: 'ctl-begin',
  'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY': 'ctl-begin-read-only',
  COMMIT: 'ctl-commit',
  'SET LOCAL enable_bitmapscan = off': 'ctl-no-bitmapscan',
  'SET LOCAL enable_seqscan = off': 'ctl-no-seqscan',
  'SET LOCAL synchronous_commit = off': 'ctl-async-commit',
};

function controlConfig(text: Control): pg.QueryConfig & { name: string } {
  return { name: CONTROL_NAMES[text], text };
}

interface Step {
  config: pg.QueryConfig & { name: string };
  statement?: StatementName;
  out?: Rows<unknown>;
}

/** One checked-out connection, used by one store operation. */
export class Session {
  /** Something was sent on the connection. */
  sent = false;
  /** A COMMIT was sent: whether it took effect may be unknown, so the work is not retried. */
  committing = false;

  constructor(
    readonly client: pg.PoolClient,
    readonly statements: Statements,
    readonly stats: QueryStats,
  ) {}

  /** A new group of statements to send in one round trip. */
  pipeline(): Pipeline {
    return new Pipeline(this);
  }
}

/**
 * Statements sent together and answered in one round trip (the pool's connections run in
 * pipeline mode). The server still runs them one after the other, in order; after a failing
 * statement the rest of its transaction fails too, and a COMMIT then rolls back.
 */
export class Pipeline {
  private readonly session: Session;
  private readonly steps: Step[] = [];

  constructor(session: Session) {
    this.session = session;
  }

  begin(mode: Control = 'BEGIN'): this {
    this.steps.push({ config: controlConfig(mode) });
    return this;
  }

  /** Adds a control statement (a SET LOCAL) inside the transaction. */
  control(text: Control): this {
    this.steps.push({ config: controlConfig(text) });
    return this;
  }

  commit(): this {
    this.steps.push({ config: controlConfig('COMMIT') });
    return this;
  }

  /** Adds statement `name`; its rows are there once `send` resolved. */
  run<T>(name: StatementName, values: unknown[]): Rows<T> {
    const out: Rows<T> = { rows: [] };
    const config = this.session.statements.config(name, values);
    this.steps.push({ config, statement: name, out: out as Rows<unknown> });
    return out;
  }

  /** Sends every statement and waits for every reply; rejects with the first failure. */
  async send(): Promise<void> {
    const { client, stats, statements } = this.session;
    stats.roundTrips += 1;
    stats.queries += this.steps.length;
    this.session.sent = true;
    if (this.steps.some((s) => s.config.text === 'COMMIT')) this.session.committing = true;
    const configs = this.steps.map((s) => s.config);
    const results = allPrepared(client, configs)
      ? await corked(client, () => runOneSync(client, configs, types))
      : await perStatement(client, configs);
    for (const [i, step] of this.steps.entries()) {
      const result = results[i]!;
      if (step.config.text === 'COMMIT' && result.command !== 'COMMIT') {
        throw new Error(`the transaction was rolled back (${result.command})`);
      }
      if (step.statement && step.out) {
        statements.check(step.statement, result.fields);
        step.out.rows = result.rows;
      }
    }
  }
}

/**
 * The statements as one pg query each (a Sync after every one): how a connection's first
 * pipelines prepare their statements. Rejects with the first failure; the statements after
 * it only report the aborted transaction.
 */
async function perStatement(
  client: pg.PoolClient,
  configs: pg.QueryConfig[],
): Promise<StatementResult[]> {
  const replies = await Promise.allSettled(
    corked(client, () => configs.map((c) => client.query(c))),
  );
  for (const reply of replies) if (reply.status === 'rejected') throw reply.reason;
  return replies.map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value);
}

/** The socket under a pg client: pg 8 keeps it as `connection.stream` (not in its types). */
interface Corkable {
  cork(): void;
  uncork(): void;
}

function streamOf(client: pg.PoolClient): Corkable | undefined {
  const stream = (client as unknown as { connection?: { stream?: Partial<Corkable> } }).connection
    ?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Corkable)
    : undefined;
}

/**
 * Runs `submit` (which writes a pipeline's statements: a pipelined client sends each at
 * once) with the socket corked, so the whole pipeline leaves in one write instead of one
 * system call per statement (pg corks only the messages of one statement).
 */
function corked<T>(client: pg.PoolClient, submit: () => T): T {
  const stream = streamOf(client);
  stream?.cork();
  try {
    return submit();
  } finally {
    stream?.uncork();
  }
}

/** Node socket errors that mean the connection failed or was lost. */
const SOCKET_CODES = /^(ECONN|EPIPE|ETIMEDOUT|EHOST|ENET|ENOTFOUND|EAI_AGAIN)/;

/**
 * pg's own errors for a lost or unusable connection carry no code: "Connection terminated
 * unexpectedly", "Query read timeout", "timeout exceeded when trying to connect", "Client has
 * encountered a connection error and is not queryable".
 */
const PG_CONNECTION_MESSAGES = /connection terminated|timeout|not queryable|connection error/i;

/** True for a failure of the connection rather than of the statement. */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return /^(08|57P0[1-3])/.test(err.code ?? '');
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return SOCKET_CODES.test(code);
  return PG_CONNECTION_MESSAGES.test(err.message);
}

/** True for a transaction PostgreSQL rolled back to break a deadlock or a conflict. */
export function isRetryableConflict(err: unknown): boolean {
  return err instanceof pg.DatabaseError && (err.code === '40P01' || err.code === '40001');
}

/**
 * The error a store operation rejects with: a connection failure becomes a
 * StoreUnavailableError (keeping the original as its cause); anything else is unchanged.
 */
export function toStoreError(err: unknown, connecting: boolean): unknown {
  if (err instanceof StoreUnavailableError || !isConnectionFailure(err)) return err;
  const cause = err as Error & { code?: string };
  const sqlState =
    cause instanceof pg.DatabaseError && cause.code ? cause.code : connecting ? '08001' : '08006';
  const what = connecting ? 'cannot connect to PostgreSQL' : 'lost the PostgreSQL connection';
  return new StoreUnavailableError(`${what}: ${cause.message}`, sqlState, { cause });
}
