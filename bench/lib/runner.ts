/** Runs each workload N times, one after the other, and keeps what each run measured. */
import { setMaxListeners } from 'node:events';
import type { ProgressLine } from './progress.ts';
import { formatNumber } from './report.ts';
import type { RunFailure, RunSamples } from './results.ts';
import type { Sample, Workload } from './types.ts';

export interface RunnerOptions {
  runs: number;
  quick: boolean;
  signal: AbortSignal;
  progress: ProgressLine;
  /** A run still going after this long is aborted (its own waits are bounded too). */
  runTimeoutMs: number;
}

export interface Outcome {
  runs: RunSamples[];
  failures: RunFailure[];
}

function describe(samples: readonly Sample[]): string {
  return samples.map((s) => `${s.name} ${formatNumber(s.value)} ${s.unit}`).join(', ');
}

function checkSamples(samples: unknown): Sample[] {
  if (!Array.isArray(samples) || samples.length === 0) throw new Error('the run measured nothing');
  for (const s of samples as Sample[]) {
    if (!Number.isFinite(s.value)) throw new Error(`${s.name}: not a number (${s.value})`);
  }
  return samples as Sample[];
}

function message(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(message).join('; ');
  return error instanceof Error ? error.message : String(error);
}

/** Runs every workload `runs` times; a failed run is recorded and the next one starts. */
export async function runWorkloads(
  workloads: readonly Workload[],
  opts: RunnerOptions,
): Promise<Outcome> {
  const outcome: Outcome = { runs: [], failures: [] };
  const { progress, signal } = opts;
  for (const [i, workload] of workloads.entries()) {
    for (let run = 1; run <= opts.runs && !signal.aborted; run++) {
      const label = `[${i + 1}/${workloads.length}] ${workload.id} run ${run}/${opts.runs}`;
      progress.step(label);
      const runSignal = AbortSignal.any([signal, AbortSignal.timeout(opts.runTimeoutMs)]);
      // Every bounded wait of a run listens to its signal: there can be many at once.
      setMaxListeners(0, runSignal);
      try {
        const samples = checkSamples(
          await workload.run({
            quick: opts.quick,
            signal: runSignal,
            progress: (text) => progress.detail(text),
            log: (line) => progress.log(`${label}: ${line}`),
          }),
        );
        outcome.runs.push({ workload, samples });
        progress.log(`${label}: ${describe(samples)}`);
      } catch (error) {
        if (signal.aborted) break;
        const text = runSignal.aborted
          ? `no result within ${Math.round(opts.runTimeoutMs / 1000)} s (${message(error)})`
          : message(error);
        outcome.failures.push({ workload: workload.id, run, error: text });
        progress.log(`${label}: FAILED: ${text}`);
      }
    }
    if (signal.aborted) break;
  }
  return outcome;
}
