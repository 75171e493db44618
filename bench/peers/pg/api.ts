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
