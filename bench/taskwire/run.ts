/** The frame of every taskwire run: a fresh scope (temp folder, processes) that is always cleaned up. */
import { RunScope } from '../lib/scope.ts';
import type { RunContext, Sample, Tier, Workload } from '../lib/types.ts';

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

export interface TaskwireWorkloadSpec {
  tier: Tier;
  /** The last part of the id, e.g. `drain-w4`. */
  family: string;
  measures: readonly string[];
  note: string;
  measure(ctx: RunContext, scope: RunScope): Promise<Sample[]>;
}

/** What the fsync tier changes, the same for every measurement. */
const FSYNC_NOTE =
  'fsync tier: the same with `taskwire server --fsync`: each commit (one per batch) fsynced ' +
  'before it is acknowledged (SQLite synchronous=FULL); default tier: synchronous=NORMAL';

/** A taskwire workload whose every run gets its own scope. */
export function taskwireWorkload(spec: TaskwireWorkloadSpec): Workload {
  return {
    id: `taskwire/${spec.tier}/${spec.family}`,
    system: 'taskwire',
    tier: spec.tier,
    note: spec.tier === 'fsync' ? FSYNC_NOTE : spec.note,
    measures: spec.measures,
    run: (ctx) => inScope(ctx, (scope) => spec.measure(ctx, scope)),
  };
}

/** A sample of a throughput: tasks per second. */
export function rate(name: string, tasks: number, ms: number): Sample {
  return { name, unit: 'tasks/s', value: tasks / (ms / 1000), higherIsBetter: true };
}
