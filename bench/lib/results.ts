/** Turns the samples of every run into one result per system, tier, store, servers and measurement. */
import { max, median, min } from './stats.ts';
import type { Sample, StoreKind, System, Tier, Workload } from './types.ts';

/** One measurement over its runs: what the table shows and the JSON holds. */
export interface Result {
  system: System;
  tier: Tier;
  /** taskwire's store; absent for the peers. */
  store?: StoreKind;
  /** taskwire servers sharing the store; absent for the peers. */
  servers?: number;
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** How many runs gave this figure. */
  runs: number;
  /** Each run's figure, in run order. */
  values: number[];
  higherIsBetter: boolean;
  /** The workload that measured it. */
  workload: string;
}

/** A run that threw: it gives no figure. */
export interface RunFailure {
  workload: string;
  run: number;
  error: string;
}

/** The samples of one successful run. */
export interface RunSamples {
  workload: Workload;
  samples: Sample[];
}

/** Groups the samples of all runs by system, tier, store, servers and name, in the order they first came. */
export function summarize(runs: readonly RunSamples[]): Result[] {
  const groups = new Map<string, { first: Sample; workload: Workload; values: number[] }>();
  for (const { workload, samples } of runs) {
    for (const sample of samples) {
      const key = `${workload.system}|${workload.tier}|${workload.store ?? ''}|${workload.servers ?? ''}|${sample.name}`;
      const group = groups.get(key);
      if (!group) {
        groups.set(key, { first: sample, workload, values: [sample.value] });
      } else if (group.first.unit !== sample.unit) {
        throw new Error(`${key}: unit ${sample.unit} differs from ${group.first.unit}`);
      } else {
        group.values.push(sample.value);
      }
    }
  }
  return [...groups.values()].map(({ first, workload, values }) => ({
    system: workload.system,
    tier: workload.tier,
    ...(workload.store === undefined ? {} : { store: workload.store }),
    ...(workload.servers === undefined ? {} : { servers: workload.servers }),
    name: first.name,
    unit: first.unit,
    median: median(values),
    min: min(values),
    max: max(values),
    runs: values.length,
    values,
    higherIsBetter: first.higherIsBetter,
    workload: workload.id,
  }));
}
