/**
 * retention: steady load (one pipelined producer, 4 worker processes) through a server with
 * a short `--retention`, long enough for the pruner to delete tasks many times over, then
 * the same load through a server that keeps everything (`--retention 0`), back to back in
 * one run, each on a fresh SQLite file. The load goes in rounds (submit a round, wait for
 * its completions); the rate is measured after a warm-up (the retention plus two sweeps),
 * over the same rounds in both halves. Reports both rates, their ratio, and the size of the
 * retention half's file (db + wal) when the warm-up ended and at the end, and its growth.
 * Goal: the size flat within 10 %, the rate within 10 % of the run without retention.
 */
import { statSync } from 'node:fs';
import type { RunScope } from '../lib/scope.ts';
import type { Sample, Workload } from '../lib/types.ts';
import { sleep, within } from '../lib/wait.ts';
import { waitCompleted } from './completion.ts';
import { submitPipelined, TASK_TYPE } from './producer.ts';
import { type RunSetup, rate, taskwireWorkload } from './run.ts';
import { connectEach, startServers, stopServers } from './server.ts';
import { boundMs } from './sizes.ts';
import { expectCounts } from './verify.ts';
import { killWorkers, startWorkers, WORKER_CONCURRENCY } from './workers.ts';

const WORKERS = 4;

interface Plan {
  retentionS: number;
  round: number;
  warmRounds: number;
  rounds: number;
}

/**
 * Quick: 3 s retention, 18 warm-up rounds of 10,000 tasks, then 12 measured. The warm-up is
 * long because the file fills behind the WAL: the WAL reaches its checkpoint size (16 MB)
 * within seconds, the database file only at the checkpoints after the retention's live set
 * is in it (measured: about 15 s at 9,000 tasks/s on 2 busy cores), and then holds the
 * largest live set seen so far: a later burst of the load, or a sweep delayed by it, can
 * still raise it.
 */
const QUICK: Plan = { retentionS: 3, round: 10_000, warmRounds: 18, rounds: 30 };
/** Full: 5 s retention, 15 warm-up rounds of 20,000 tasks, then 20 measured. */
const FULL: Plan = { retentionS: 5, round: 20_000, warmRounds: 15, rounds: 35 };

interface Half {
  rate: number;
  sizeStart: number;
  sizeEnd: number;
  warmupMs: number;
}

function fileBytes(path: string): number {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return size(path) + size(`${path}-wal`);
}

async function half(
  scope: RunScope,
  setup: RunSetup,
  plan: Plan,
  retention: string,
  progress: (text: string) => void,
): Promise<Half> {
  const store = await setup.newStore();
  if (store.kind !== 'sqlite') throw new Error('retention measures a SQLite file');
  const handles = await startServers(scope, { store, args: ['--retention', retention] }, 1);
  const ports = handles.map((s) => s.port);
  const procs = await startWorkers(scope, ports, {
    count: WORKERS,
    concurrency: WORKER_CONCURRENCY,
    types: [TASK_TYPE],
  });
  const producers = await connectEach(scope, ports);
  const watchers = await connectEach(scope, ports);
  const startedAt = performance.now();
  let warmAt = 0;
  let sizeStart = 0;
  let done = 0;
  for (let r = 0; r < plan.rounds; r++) {
    const produced = within(
      submitPipelined(producers, plan.round, scope.signal),
      boundMs(plan.round / 5),
      'submitting',
      scope.signal,
    );
    done += plan.round;
    await Promise.all([
      produced,
      waitCompleted(watchers, done, { signal: scope.signal, timeoutMs: boundMs(plan.round / 2) }),
    ]);
    progress(`--retention ${retention}: round ${r + 1}/${plan.rounds}`);
    if (process.env.TASKWIRE_BENCH_RETENTION_TRACE) {
      const size = (p: string) => (statSync(p, { throwIfNoEntry: false })?.size ?? 0) / 1e6;
      const t = ((performance.now() - startedAt) / 1000).toFixed(1);
      console.log(`${retention} ${t}s db ${size(store.path)} wal ${size(`${store.path}-wal`)}`);
    }
    // The warm-up ends after its rounds and once the first tasks are past their retention
    // and two sweeps later (a sweep a second): from then on the file should hold steady.
    if (r + 1 === plan.warmRounds) {
      const waitMs = (plan.retentionS + 2) * 1000 - (performance.now() - startedAt);
      if (waitMs > 0) await sleep(waitMs, scope.signal);
      warmAt = performance.now();
      sizeStart = fileBytes(store.path);
    }
  }
  const elapsed = performance.now() - warmAt;
  const sizeEnd = fileBytes(store.path);
  await Promise.all([...producers, ...watchers].map((c) => c.close()));
  await killWorkers(procs);
  await stopServers(handles);
  if (retention === '0') await expectCounts(store, { done });
  const measured = (plan.rounds - plan.warmRounds) * plan.round;
  return {
    rate: rate('x', measured, elapsed).value,
    sizeStart,
    sizeEnd,
    warmupMs: warmAt - startedAt,
  };
}

const mb = (name: string, bytes: number): Sample => ({
  name,
  unit: 'MB',
  value: bytes / 1e6,
  higherIsBetter: false,
});

export function retentionWorkload(): Workload {
  return taskwireWorkload({
    tier: 'default',
    family: 'retention',
    measures: [
      'retention-rate',
      'retention-off-rate',
      'retention-rate-ratio',
      'retention-size-start',
      'retention-size-end',
      'retention-size-growth',
    ],
    note:
      'steady load in rounds through `--retention 3s` (quick; 5s full), then the same with ' +
      '`--retention 0`; rates after a warm-up of the retention plus two sweeps; file = db + wal',
    async measure(ctx, scope, setup) {
      const plan = ctx.quick ? QUICK : FULL;
      const on = await half(scope, setup, plan, `${plan.retentionS}s`, ctx.progress);
      const off = await half(scope, setup, plan, '0', ctx.progress);
      const growth = ((on.sizeEnd - on.sizeStart) / on.sizeStart) * 100;
      ctx.log?.(
        `retention: ${Math.round(on.rate)} tasks/s with, ${Math.round(off.rate)} without; file ` +
          `${(on.sizeStart / 1e6).toFixed(1)} MB after ${(on.warmupMs / 1000).toFixed(1)} s, ` +
          `${(on.sizeEnd / 1e6).toFixed(1)} MB at the end (without: ${(off.sizeEnd / 1e6).toFixed(1)} MB)`,
      );
      return [
        { name: 'retention-rate', unit: 'tasks/s', value: on.rate, higherIsBetter: true },
        { name: 'retention-off-rate', unit: 'tasks/s', value: off.rate, higherIsBetter: true },
        {
          name: 'retention-rate-ratio',
          unit: 'ratio',
          value: on.rate / off.rate,
          higherIsBetter: true,
        },
        mb('retention-size-start', on.sizeStart),
        mb('retention-size-end', on.sizeEnd),
        { name: 'retention-size-growth', unit: '%', value: growth, higherIsBetter: false },
      ];
    },
  });
}
