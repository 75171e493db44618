/**
 * steady: one producer (the bench process, pipelined `submit`s) and 4 worker processes at
 * the same time, from the first submit to the last completion committed. Also reports the
 * CPU time each side spent per task (the server(s), the 4 workers together, the producer),
 * read from /proc: on a machine whose cores are all busy, their sum over the core count is
 * the ceiling of the rate.
 *
 * On PostgreSQL with `--servers N`: N servers on the run's database, worker i connected to
 * server i mod N, the producer submitting round-robin over one connection to each server;
 * and the database work per task (lib/db-work.ts): `steady-db-xacts`, `steady-db-rows` and
 * `steady-db-wal`.
 */
import { DB_WORK_NOTE, type DbWorkMeter, meterDbWork } from '../lib/db-work.ts';
import { cpuPerTask, meterCpu } from '../lib/procfs.ts';
import type { Tier, Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { waitCompleted } from './completion.ts';
import { WORKER_NOTE } from './drain.ts';
import { submitPipelined, TASK_TYPE } from './producer.ts';
import { rate, taskwireWorkload } from './run.ts';
import { makeSecure, type Variant } from './secure.ts';
import { connectEach, startServers, stopServers } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';
import { expectCounts } from './verify.ts';
import { killWorkers, startWorkers, WORKER_CONCURRENCY } from './workers.ts';

const WORKERS = 4;

/** `variant` auth+tls: the same with `--auth-file` and TLS (secure.ts); rows `steady-auth+tls…`. */
export function steadyWorkload(
  tier: Tier,
  store: BenchStore,
  servers = 1,
  variant: Variant = 'plain',
): Workload {
  const pg = store.kind === 'postgres';
  const family = variant === 'plain' ? 'steady' : `steady-${variant}`;
  return taskwireWorkload({
    tier,
    family,
    store,
    servers,
    measures: [
      family,
      `${family}-cpu-server`,
      `${family}-cpu-workers`,
      `${family}-cpu-producer`,
      ...(pg ? ['steady-db-xacts', 'steady-db-rows', 'steady-db-wal'] : []),
    ],
    note: pg ? `${WORKER_NOTE}; ${DB_WORK_NOTE}` : WORKER_NOTE,
    async measure(ctx, scope, setup) {
      const n = sizes(ctx.quick).tasks;
      const runStore = await setup.newStore();
      ctx.progress(`starting ${setup.servers} server(s)`);
      const secure = variant === 'plain' ? undefined : await makeSecure(scope);
      const handles = await startServers(
        scope,
        { store: runStore, fsync: tier === 'fsync', ...(secure && { secure }) },
        setup.servers,
      );
      const ports = handles.map((s) => s.port);
      ctx.progress(`starting ${WORKERS} workers`);
      const procs = await startWorkers(scope, ports, {
        count: WORKERS,
        concurrency: WORKER_CONCURRENCY,
        types: [TASK_TYPE],
      });
      // Separate connections, so the completion polls do not queue behind the submits.
      const producers = await connectEach(scope, ports);
      const watchers = await connectEach(scope, ports);
      let dbMeter: DbWorkMeter | undefined;
      if (runStore.kind === 'postgres') {
        ctx.progress('reading the database counters');
        dbMeter = await meterDbWork(runStore, scope.signal);
      }
      const serverCpu = await meterCpu(handles.map((s) => s.proc.pid));
      const workersCpu = await meterCpu(procs.map((p) => p.pid));
      const producerStart = process.cpuUsage();
      const started = performance.now();
      const produced = within(
        submitPipelined(producers, n, scope.signal),
        boundMs(n / 5),
        'submitting',
        scope.signal,
      );
      const [, end] = await Promise.all([
        produced,
        waitCompleted(watchers, n, {
          signal: scope.signal,
          timeoutMs: boundMs(n / 2),
          onCount: (count) => ctx.progress(`${count}/${n} done`),
        }),
      ]);
      const elapsed = end.at - started;
      const [serverSeconds, workersSeconds] = await Promise.all([
        serverCpu.read(),
        workersCpu.read(),
      ]);
      const producerCpu = process.cpuUsage(producerStart);
      await Promise.all([...producers, ...watchers].map((c) => c.close()));
      ctx.progress('verifying');
      await killWorkers(procs);
      await stopServers(handles);
      const samples = [
        rate(family, n, elapsed),
        cpuPerTask(`${family}-cpu-server`, serverSeconds, n),
        cpuPerTask(`${family}-cpu-workers`, workersSeconds, n),
        cpuPerTask(`${family}-cpu-producer`, (producerCpu.user + producerCpu.system) / 1e6, n),
      ];
      if (dbMeter) {
        const { samples: db, line } = await dbMeter.finish('steady', n, scope.signal);
        ctx.log?.(line);
        samples.push(...db);
      }
      await expectCounts(runStore, { done: n });
      return samples;
    },
  });
}
