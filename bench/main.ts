/**
 * `npm run bench [-- --quick] [--runs N] [--json FILE] [--only NAME,...] [--peers]`: runs
 * each measurement on a fresh server, N times, and prints the median with the min–max
 * spread. Every load goes to 127.0.0.1, is bounded in count and time, and stops by itself;
 * Ctrl-C stops the run in progress and cleans it up (a second Ctrl-C exits at once).
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { machineInfo } from './lib/machine.ts';
import { loadPeerWorkloads } from './lib/peers.ts';
import { ProgressLine } from './lib/progress.ts';
import { formatReport } from './lib/report.ts';
import { summarize } from './lib/results.ts';
import { runWorkloads } from './lib/runner.ts';
import { selectWorkloads } from './lib/select.ts';
import type { Workload } from './lib/types.ts';
import { taskwireWorkloads } from './taskwire/index.ts';
import { checkBuilt } from './taskwire/server.ts';

interface Flags {
  quick: boolean;
  runs: number;
  json?: string;
  only: string[];
  peers: boolean;
  list: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer ≥ 1.');
  return n;
}

function names(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Aborts on the first SIGINT/SIGTERM; exits at once on the second. */
function interruptions(progress: ProgressLine): AbortController {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // the exit hook kills the children
    progress.log(`${signal}: stopping the run in progress and cleaning up (again to exit now)`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

async function bench(flags: Flags): Promise<number> {
  checkBuilt();
  const progress = new ProgressLine();
  const log = (line: string) => progress.log(line);
  const { signal } = interruptions(progress);
  const workloads: Workload[] = taskwireWorkloads();
  if (flags.peers) workloads.push(...(await loadPeerWorkloads(flags.quick, log, signal)));
  const selected = selectWorkloads(workloads, flags.only);
  if (flags.list) {
    for (const w of selected) process.stdout.write(`${w.id}\t${(w.measures ?? []).join(', ')}\n`);
    return 0;
  }
  if (selected.length === 0) {
    log(
      `--only ${flags.only.join(',')} picks nothing; workloads: ${workloads.map((w) => w.id).join(', ')}`,
    );
    return 2;
  }
  log(
    `bench: ${selected.length} workload(s) × ${flags.runs} run(s)${flags.quick ? ', quick sizes' : ''}`,
  );
  const outcome = await runWorkloads(selected, {
    runs: flags.runs,
    quick: flags.quick,
    signal,
    progress,
    runTimeoutMs: (flags.quick ? 10 : 30) * 60_000,
  });
  progress.stop();
  const results = summarize(outcome.runs);
  process.stdout.write(`\n${formatReport(results, selected, outcome.failures)}\n`);
  if (flags.json) {
    const out = {
      machine: machineInfo(),
      quick: flags.quick,
      runsPerMeasurement: flags.runs,
      results,
      failures: outcome.failures,
    };
    await writeFile(flags.json, `${JSON.stringify(out, null, 2)}\n`);
    log(`wrote ${flags.json}`);
  }
  if (signal.aborted) return 130;
  return outcome.failures.length > 0 ? 1 : 0;
}

const program = new Command('bench')
  .description('measure taskwire (and, with --peers, beanstalkd and BullMQ) on 127.0.0.1')
  .option('--quick', 'a smoke run of a few minutes with smaller counts', false)
  .option('--runs <n>', 'runs of each measurement; the median is reported', positiveInt, 3)
  .option('--json <file>', 'also write the results as JSON to FILE')
  .option('--only <names>', 'measurement names or workload id prefixes, comma-separated', names, [])
  .option('--peers', 'also measure the peers (bench/peers): beanstalkd, BullMQ', false)
  .option('--list', 'list the workloads that would run, and exit', false)
  .action(async (flags: Flags) => {
    process.exitCode = await bench(flags);
  });

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
process.exit();
