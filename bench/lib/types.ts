/**
 * The benchmark's shared vocabulary: every workload, taskwire's and the peers', is a
 * `Workload` whose `run` starts its own fresh server, applies a bounded load on 127.0.0.1,
 * stops everything it started (by PID) and returns what it measured.
 */

export type System = 'taskwire' | 'beanstalkd' | 'bullmq' | 'graphile-worker' | 'pg-boss';

/** default: each system's usual durability; fsync: every commit synced to disk. */
export type Tier = 'default' | 'fsync';

/** Where taskwire keeps its tasks in a run (`--store`): a SQLite file or a PostgreSQL database. */
export type StoreKind = 'sqlite' | 'postgres';

/** One figure a run measured. */
export interface Sample {
  /** e.g. submit, drain-w1, drain-w4, steady, latency-p50, latency-p99, clients, ... */
  name: string;
  /** e.g. tasks/s, µs, s, MB, %, ratio, count. */
  unit: string;
  value: number;
  /** Whether a larger value is better (throughput) or worse (latency, memory). */
  higherIsBetter: boolean;
}

export interface RunContext {
  /** Smaller counts for a smoke run of a few minutes. */
  quick: boolean;
  /** Aborts the run: everything it started must be stopped. */
  signal: AbortSignal;
  /** A short line about what the run is doing now (shown on the progress line). */
  progress(text: string): void;
  /** A line to keep in the output, e.g. a warning about the run. */
  log?(line: string): void;
}

export interface Workload {
  /** Unique, e.g. 'taskwire/default/steady', 'beanstalkd/fsync/latency'. */
  id: string;
  system: System;
  tier: Tier;
  /** taskwire's store; 'postgres' for the PostgreSQL peers (the other peers have none). */
  store?: StoreKind;
  /** taskwire servers sharing the store in the run (`--servers`); 1 when not given. */
  servers?: number;
  /** What the system does per task in this workload, for the report (e.g. "no result kept"). */
  note?: string;
  /** The sample names a run returns, so `--only NAME` can pick the workload before it runs. */
  measures?: readonly string[];
  /** One run on a fresh server with fresh data; returns one or more samples. */
  run(ctx: RunContext): Promise<Sample[]>;
}
