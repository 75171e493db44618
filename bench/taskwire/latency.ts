/**
 * latency: one client submits a task and waits for its result, one at a time; after a
 * warm-up, each `run` call (submit and wait in one request: the answer comes once the result
 * is committed) is a sample.
 * remote: the server runs no executor and one idle worker process (concurrency 1) runs
 * each task; builtin: the server's own executor runs it.
 * long (`latency-long`, `latency-builtin-long`): the same after LONG_RUN_WARMUP runs instead
 * of 200, what a long-running server and worker show. A fresh server's p50 falls for its
 * first ~2,500 runs while V8 compiles its hot code (docs/benchmarks.md, "Latency"), so the
 * plain rows, measured from run 200 on, are mostly that warm-up.
 *
 * On PostgreSQL with `--servers N` (remote only; `--netem` runs it): N servers on the run's
 * database, the client on the first and the worker on the last, so that each task is
 * submitted on one server, claimed by another (woken by the first's NOTIFY) and its result
 * pushed back to the client's server through the database.
 */
import { type Client, connect } from '../../src/client/index.ts';
import { percentile } from '../lib/stats.ts';
import type { Sample, Tier, Workload } from '../lib/types.ts';
import { abortReason, within } from '../lib/wait.ts';
import { payload, TASK_TYPE } from './producer.ts';
import { taskwireWorkload } from './run.ts';
import { clientOptionsFor, makeSecure, type Variant } from './secure.ts';
import { startServers, stopServers } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';
import { expectCounts } from './verify.ts';
import { startWorkers } from './workers.ts';

export type Executor = 'remote' | 'builtin';

/** Runs before the samples in the `long` rows (quick: a fifth). */
const LONG_RUN_WARMUP = 5000;

/** One round trip taking longer than this means the server lost the task. */
const RUN_TIMEOUT_MS = 30_000;

/** Round trips in µs, the warm-up left out. */
async function roundTrips(
  client: Client,
  warmup: number,
  samples: number,
  signal: AbortSignal,
  progress: (text: string) => void,
): Promise<number[]> {
  const micros: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    if (signal.aborted) throw abortReason(signal);
    const started = performance.now();
    // Bounded each: a task that never gets its result fails the run with its number.
    const task = await within(
      client.run(TASK_TYPE, payload(i)),
      RUN_TIMEOUT_MS,
      `run ${i}`,
      signal,
    );
    const elapsed = performance.now() - started;
    if (task.status !== 'done') {
      throw new Error(`task ${task.id} ended ${task.status}: ${task.error}`);
    }
    if (i >= warmup) micros.push(elapsed * 1000);
    if (i % 100 === 0)
      progress(i < warmup ? `warm-up ${i}/${warmup}` : `${i - warmup}/${samples} samples`);
  }
  return micros;
}

export function latencyWorkload(
  tier: Tier,
  executor: Executor,
  store: BenchStore,
  servers = 1,
  variant: Variant = 'plain',
  long = false,
): Workload {
  const base = executor === 'remote' ? 'latency' : 'latency-builtin';
  // auth+tls: the same with `--auth-file` and TLS (secure.ts); rows `latency-auth+tls-p50…`.
  const plain = variant === 'plain' ? base : `${base}-${variant}`;
  const prefix = long ? `${plain}-long` : plain;
  const names = [`${prefix}-p50`, `${prefix}-p99`];
  if (servers > 1 && executor !== 'remote') throw new Error(`${prefix}: one server only`);
  return taskwireWorkload({
    tier,
    family: prefix,
    store,
    servers,
    measures: names,
    note:
      'latency: `run` (submit and wait in one request, answered once the result is committed); remote: one idle ' +
      'worker process with concurrency 1, builtin: the server’s own executor (--delay-scale 0)' +
      (long
        ? `; -long: after ${LONG_RUN_WARMUP.toLocaleString('en-US')} warm-up runs, not 200`
        : ''),
    async measure(ctx, scope, setup) {
      const size = sizes(ctx.quick);
      const samples = size.latencySamples;
      const warmup = long
        ? ctx.quick
          ? LONG_RUN_WARMUP / 5
          : LONG_RUN_WARMUP
        : size.latencyWarmup;
      const secure = variant === 'plain' ? undefined : await makeSecure(scope);
      const handles = await startServers(
        scope,
        {
          store: await setup.newStore(),
          fsync: tier === 'fsync',
          local: executor === 'builtin',
          args: executor === 'builtin' ? ['--delay-scale', '0'] : [],
          ...(secure && { secure }),
        },
        setup.servers,
      );
      const server = handles[0]!;
      if (executor === 'remote') {
        const last = handles.at(-1)!;
        await startWorkers(scope, last.port, { count: 1, concurrency: 1, types: [TASK_TYPE] });
      }
      const client = await connect({
        port: server.port,
        reconnect: false,
        ...clientOptionsFor(server.port),
      });
      scope.defer(() => client.close());
      const micros = await within(
        roundTrips(client, warmup, samples, scope.signal, ctx.progress),
        boundMs((warmup + samples) * 2),
        'round trips',
        scope.signal,
      );
      await client.close();
      ctx.progress('verifying');
      await stopServers(handles);
      await expectCounts(server.store, { done: warmup + samples });
      return names.map(
        (name, i): Sample => ({
          name,
          unit: 'µs',
          value: percentile(micros, i === 0 ? 50 : 99),
          higherIsBetter: false,
        }),
      );
    },
  });
}
