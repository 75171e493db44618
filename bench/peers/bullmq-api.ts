/**
 * Loads BullMQ from bench/node_modules at run time, so that the product (and its CI, which
 * does not install the peers' dependencies) neither depends on it nor needs its types:
 * the few members used here are typed locally.
 */
import { createRequire } from 'node:module';

export interface RedisConnectionOptions {
  host: string;
  port: number;
  maxRetriesPerRequest?: number | null;
}

export interface BullJob {
  id?: string;
  waitUntilFinished(queueEvents: BullQueueEvents, ttl?: number): Promise<unknown>;
}

export interface BullQueue {
  add(name: string, data: unknown, opts?: object): Promise<BullJob>;
  addBulk(jobs: { name: string; data: unknown; opts?: object }[]): Promise<BullJob[]>;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

export interface BullWorker {
  on(event: 'completed', listener: (job: BullJob, result: unknown) => void): this;
  on(event: 'failed', listener: (job: BullJob | undefined, err: Error) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  run(): Promise<void>;
  waitUntilReady(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
}

export interface BullQueueEvents {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

export interface BullMQ {
  Queue: new (name: string, opts: { connection: RedisConnectionOptions }) => BullQueue;
  Worker: new (
    name: string,
    processor: (job: BullJob) => Promise<unknown>,
    opts: { connection: RedisConnectionOptions; concurrency?: number; autorun?: boolean },
  ) => BullWorker;
  QueueEvents: new (name: string, opts: { connection: RedisConnectionOptions }) => BullQueueEvents;
}

const benchRequire = createRequire(new URL('../package.json', import.meta.url));

/** Whether bench/node_modules holds BullMQ (`npm install --prefix bench`). */
export function bullmqInstalled(): boolean {
  try {
    benchRequire.resolve('bullmq');
    return true;
  } catch {
    return false;
  }
}

/** BullMQ's module, or an Error telling how to install it. */
export function loadBullMQ(): BullMQ {
  if (!bullmqInstalled()) throw new Error('BullMQ not installed: npm install --prefix bench');
  return benchRequire('bullmq') as BullMQ;
}

/** BullMQ's installed version, e.g. "5.81.5". */
export function bullmqVersion(): string | null {
  try {
    return (benchRequire('bullmq/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}
