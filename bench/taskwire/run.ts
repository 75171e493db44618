/**
 * The frame of every taskwire run: a fresh scope (temp folder, processes, the run's
 * PostgreSQL database) that is always cleaned up.
 */
import { RunScope } from '../lib/scope.ts';
import type { RunContext, Sample, Tier, Workload } from '../lib/types.ts';
import { type BenchStore, newRunStore, type RunStore } from './store.ts';

/**
 * Runs `measure` in a new scope and cleans the scope up whatever happens; a failed cleanup
 * fails the run only when the measurement itself succeeded.
 */
export async function inScope(
  ctx: RunContext,
  measure: (scope: RunScope) => Promise<Sample[]>,
): Promise<Sample[]> {
  const scope = new RunScope(ctx.signal);
  let samples: Sample[];
  try {
    samples = await measure(scope);
  } catch (error) {
    await scope.close().catch(() => undefined);
    throw error;
  }
  ctx.progress('cleaning up');
  await scope.close();
  return samples;
}

/** What a run of a workload gets besides its context and scope. */
export interface RunSetup {
  /** The `--store` of the bench run. */
  store: BenchStore;
  /** Servers to start on the store (1 unless the workload takes `--servers`). */
  servers: number;
  /** A fresh store for this run (a new SQLite file, or a new PostgreSQL database). */
  newStore(): Promise<RunStore>;
}

export interface TaskwireWorkloadSpec {
  tier: Tier;
  /** The last part of the id, e.g. `drain-w4`. */
  family: string;
  measures: readonly string[];
  note: string;
  /** Default SQLite. */
  store?: BenchStore;
  /** Servers sharing the store (default 1; more only on PostgreSQL). */
  servers?: number;
  measure(ctx: RunContext, scope: RunScope, setup: RunSetup): Promise<Sample[]>;
}

/** What the fsync tier changes, the same for every measurement. */
const FSYNC_NOTE =
  'fsync tier: the same with `taskwire server --fsync`: each commit (one per batch) fsynced ' +
  'before it is acknowledged (SQLite synchronous=FULL); default tier: synchronous=NORMAL';

/**
 * The id of a taskwire workload: `taskwire/TIER/FAMILY`, then `@pg` on PostgreSQL and
 * `-sN` with N servers (e.g. `taskwire/default/steady@pg-s2`).
 */
export function taskwireId(tier: Tier, family: string, store: BenchStore, servers = 1): string {
  const pg = store.kind === 'postgres' ? '@pg' : '';
  const shared = servers > 1 ? `-s${servers}` : '';
  return `taskwire/${tier}/${family}${pg}${shared}`;
}

/** A taskwire workload whose every run gets its own scope. */
export function taskwireWorkload(spec: TaskwireWorkloadSpec): Workload {
  const store = spec.store ?? { kind: 'sqlite' };
  const servers = spec.servers ?? 1;
  if (servers > 1 && store.kind !== 'postgres') {
    throw new Error(`${spec.family}: ${servers} servers need a PostgreSQL store`);
  }
  return {
    id: taskwireId(spec.tier, spec.family, store, servers),
    system: 'taskwire',
    tier: spec.tier,
    store: store.kind,
    servers,
    note: spec.tier === 'fsync' ? FSYNC_NOTE : spec.note,
    measures: spec.measures,
    run: (ctx) =>
      inScope(ctx, (scope) =>
        spec.measure(ctx, scope, {
          store,
          servers,
          newStore: () => newRunStore(scope, store, ctx.log),
        }),
      ),
  };
}

/** A sample of a throughput: tasks per second. */
export function rate(name: string, tasks: number, ms: number): Sample {
  return { name, unit: 'tasks/s', value: tasks / (ms / 1000), higherIsBetter: true };
}
