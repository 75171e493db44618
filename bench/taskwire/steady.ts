/**
 * steady: one producer (the bench process, pipelined `submit`s) and 4 worker processes at
 * the same time, from the first submit to the last completion committed. Also reports the
 * CPU time each side spent per task (server, the 4 workers together, the producer), read
 * from /proc: on a machine whose cores are all busy, their sum over the core count is the
 * ceiling of the rate.
 */
import { connect } from '../../src/client/index.ts';
import { cpuSecondsOf } from '../lib/procfs.ts';
import type { Sample, Tier, Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { waitCompleted } from './completion.ts';
import { WORKER_NOTE } from './drain.ts';
import { submitPipelined, TASK_TYPE } from './producer.ts';
import { rate, taskwireWorkload } from './run.ts';
import { startServer, stopServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import { expectCounts } from './verify.ts';
import { killWorkers, startWorkers, WORKER_CONCURRENCY } from './workers.ts';

const WORKERS = 4;

export function steadyWorkload(tier: Tier): Workload {
  return taskwireWorkload({
    tier,
    family: 'steady',
    measures: ['steady', 'steady-cpu-server', 'steady-cpu-workers', 'steady-cpu-producer'],
    note: WORKER_NOTE,
    async measure(ctx, scope) {
      const n = sizes(ctx.quick).tasks;
      const server = await startServer(scope, {
        dir: await scope.tempDir(),
        fsync: tier === 'fsync',
      });
      ctx.progress(`starting ${WORKERS} workers`);
      const procs = await startWorkers(scope, server.port, {
        count: WORKERS,
        concurrency: WORKER_CONCURRENCY,
        types: [TASK_TYPE],
      });
      // Separate connections, so the completion polls do not queue behind the submits.
      const producer = await connect({ port: server.port, reconnect: false });
      const watcher = await connect({ port: server.port, reconnect: false });
      scope.defer(() => Promise.all([producer.close(), watcher.close()]));
      const cpu = async () => ({
        server: await cpuSecondsOf(server.proc.pid),
        workers: (await Promise.all(procs.map((p) => cpuSecondsOf(p.pid)))).reduce(
          (a, b) => a + b,
          0,
        ),
        producer: process.cpuUsage(),
      });
      const before = await cpu();
      const started = performance.now();
      const produced = within(
        submitPipelined(producer, n, scope.signal),
        boundMs(n / 5),
        'submitting',
        scope.signal,
      );
      const [, end] = await Promise.all([
        produced,
        waitCompleted(watcher, n, {
          signal: scope.signal,
          timeoutMs: boundMs(n / 2),
          onCount: (count) => ctx.progress(`${count}/${n} done`),
        }),
      ]);
      const elapsed = end.at - started;
      const after = await cpu();
      const perTask = (name: string, seconds: number): Sample => ({
        name,
        unit: 'µs/task',
        value: (seconds * 1e6) / n,
        higherIsBetter: false,
      });
      const producerCpu = process.cpuUsage(before.producer);
      await Promise.all([producer.close(), watcher.close()]);
      ctx.progress('verifying');
      await killWorkers(procs);
      await stopServer(server);
      expectCounts(server.db, { done: n });
      return [
        rate('steady', n, elapsed),
        perTask('steady-cpu-server', after.server - before.server),
        perTask('steady-cpu-workers', after.workers - before.workers),
        perTask('steady-cpu-producer', (producerCpu.user + producerCpu.system) / 1e6),
      ];
    },
  });
}
