/**
 * Loads graphile-worker and pg-boss from bench/node_modules at run time (as bullmq-api.ts
 * does BullMQ), so that the product and its CI neither depend on them nor need their types:
 * the few members used here are typed locally.
 */
import { createRequire } from 'node:module';

const benchRequire = createRequire(new URL('../../package.json', import.meta.url));

export const INSTALL_HINT = 'npm install --prefix bench';

// graphile-worker -------------------------------------------------------------------------

export interface GraphileJob {
  id: string;
}

export interface GraphileJobSpec {
  identifier: string;
  payload: unknown;
}

export interface GraphileWorkerUtils {
  addJob(identifier: string, payload: unknown): Promise<GraphileJob>;
  addJobs(specs: GraphileJobSpec[]): Promise<GraphileJob[]>;
  migrate(): Promise<void>;
  release(): Promise<void>;
}

export interface GraphileRunner {
  stop(): Promise<void>;
  promise: Promise<void>;
  events: {
    on(event: 'job:success', listener: (e: { job: GraphileJob }) => void): unknown;
    on(event: 'job:error', listener: (e: { job: GraphileJob; error: unknown }) => void): unknown;
  };
}

export interface GraphileWorkerModule {
  run(options: {
    connectionString?: string;
    /** A pg.Pool of the caller's. */
    pgPool?: unknown;
    concurrency: number;
    maxPoolSize?: number;
    pollInterval?: number;
    noHandleSignals?: boolean;
    taskList: Record<string, (payload: unknown) => Promise<void> | void>;
    preset?: { worker?: Record<string, unknown> };
  }): Promise<GraphileRunner>;
  makeWorkerUtils(options: { connectionString: string }): Promise<GraphileWorkerUtils>;
}

// pg-boss ---------------------------------------------------------------------------------

export interface PgBossJob {
  id: string;
}

export interface PgBoss {
  on(event: 'error', listener: (err: Error) => void): unknown;
  start(): Promise<unknown>;
  stop(options?: { graceful?: boolean; wait?: boolean; timeout?: number }): Promise<void>;
  createQueue(name: string): Promise<void>;
  send(name: string, data: object): Promise<string | null>;
  insert(jobs: { name: string; data: object }[]): Promise<void>;
  work(
    name: string,
    options: { batchSize: number; pollingIntervalSeconds: number },
    handler: (jobs: PgBossJob[]) => Promise<unknown>,
  ): Promise<string>;
}

export type PgBossConstructor = new (options: { connectionString: string; max?: number }) => PgBoss;

// -----------------------------------------------------------------------------------------

function installed(name: string): boolean {
  try {
    benchRequire.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** One line per PostgreSQL peer package missing from bench/node_modules. */
export function missingPgPackages(): string[] {
  return ['graphile-worker', 'pg-boss']
    .filter((name) => !installed(name))
    .map((name) => `${name} not installed: ${INSTALL_HINT}`);
}

export function loadGraphileWorker(): GraphileWorkerModule {
  if (!installed('graphile-worker')) {
    throw new Error(`graphile-worker not installed: ${INSTALL_HINT}`);
  }
  return benchRequire('graphile-worker') as GraphileWorkerModule;
}

export function loadPgBoss(): PgBossConstructor {
  if (!installed('pg-boss')) throw new Error(`pg-boss not installed: ${INSTALL_HINT}`);
  return benchRequire('pg-boss') as PgBossConstructor;
}

/** A package's installed version, e.g. "0.17.3". */
export function packageVersion(name: 'graphile-worker' | 'pg-boss'): string | null {
  try {
    return (benchRequire(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

// Observing completions ------------------------------------------------------------------

/** Completions whose statement is still running, so that a stopping worker can wait for them. */
const pending = new Set<Promise<unknown>>();

/** Waits (bounded by the caller) until every completion the hook saw has settled. */
export async function completionsSettled(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

function observe<A extends unknown[]>(
  fn: (...args: A) => Promise<unknown>,
  count: (args: A) => number,
  onCommitted: (tasks: number) => void,
): (...args: A) => Promise<unknown> {
  return function (this: unknown, ...args: A) {
    const done = fn.apply(this, args);
    pending.add(done);
    return done.then(
      (result) => {
        pending.delete(done);
        onCommitted(count(args));
        return result;
      },
      (error: unknown) => {
        pending.delete(done);
        throw error;
      },
    );
  };
}

/**
 * Calls `onCommitted(n)` once graphile-worker's completion of n jobs (the delete of their
 * rows) has returned from the database: its own `batchCompleteJobs`, which both its batched
 * and its unbatched completion call through the module's exports, wrapped (not changed)
 * before the runner starts. Neither peer offers an event for "completion committed": their
 * success events fire when the task function returns, before the completion is written.
 */
export function observeGraphileCompletions(onCommitted: (tasks: number) => void): void {
  const mod = benchRequire('graphile-worker/dist/sql/completeJobs.js') as {
    batchCompleteJobs: (...args: unknown[]) => Promise<unknown>;
  };
  mod.batchCompleteJobs = observe(
    mod.batchCompleteJobs,
    (args) => (args[3] as unknown[]).length,
    onCommitted,
  );
}

/**
 * The same for pg-boss: its workers complete a fetched batch with `Manager#complete(name,
 * ids, …)`, not awaited by the worker loop; the prototype's method is wrapped before any
 * PgBoss is made, and only calls for `queue` count.
 */
export function observePgBossCompletions(queue: string, onCommitted: (tasks: number) => void) {
  const Manager = benchRequire('pg-boss/src/manager.js') as {
    prototype: { complete: (...args: unknown[]) => Promise<unknown> };
  };
  Manager.prototype.complete = observe(
    Manager.prototype.complete,
    (args) => {
      if (args[0] !== queue) return 0;
      return Array.isArray(args[1]) ? args[1].length : 1;
    },
    onCommitted,
  );
}
