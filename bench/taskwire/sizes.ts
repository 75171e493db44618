/** How much each measurement does, in a full run and in a quick (smoke) run. */

export interface Sizes {
  /** Tasks of submit, drain and steady. */
  tasks: number;
  latencyWarmup: number;
  latencySamples: number;
  clients: number;
  tasksPerClient: number;
  idleWorkers: number;
  /** The window over which the server's CPU is measured with the idle workers, ms. */
  idleWindowMs: number;
  backlog: number;
  /** Completions measured at each backlog. */
  backlogDrain: number;
  tallyKeys: number;
  tallyReps: number;
}

const FULL: Sizes = {
  tasks: 100_000,
  latencyWarmup: 200,
  latencySamples: 2000,
  clients: 1000,
  tasksPerClient: 20,
  idleWorkers: 10_000,
  idleWindowMs: 10_000,
  backlog: 1_000_000,
  backlogDrain: 20_000,
  tallyKeys: 1000,
  tallyReps: 10,
};

const QUICK: Sizes = {
  tasks: 10_000,
  latencyWarmup: 50,
  latencySamples: 300,
  clients: 100,
  tasksPerClient: 20,
  idleWorkers: 1000,
  idleWindowMs: 3000,
  backlog: 100_000,
  backlogDrain: 20_000,
  tallyKeys: 1000,
  tallyReps: 10,
};

export function sizes(quick: boolean): Sizes {
  return quick ? QUICK : FULL;
}

/** A bound for a phase expected to take about `expectedMs`: generous, never unbounded. */
export function boundMs(expectedMs: number): number {
  return Math.max(60_000, expectedMs * 20);
}
