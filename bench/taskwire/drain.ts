/**
 * drain: a queue of no-op tasks run to done by W remote worker processes. The workers
 * connect first; then one `submitMany` queues every task in one transaction, and the clock
 * starts at its acknowledgement, when all of them are queued.
 *
 * On PostgreSQL with `--servers N` (drain-w4): N servers on the run's database, worker i
 * connected to server i mod N; the tasks are queued through the first server and the
 * completions counted on all of them.
 */
import { DB_WORK_NOTE, type DbWorkMeter, meterDbWork } from '../lib/db-work.ts';
import { cpuPerTask, meterCpu } from '../lib/procfs.ts';
import type { Tier, Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { waitCompleted } from './completion.ts';
import { noopTasks, TASK_TYPE } from './producer.ts';
import { rate, taskwireWorkload } from './run.ts';
import { connectEach, startServers, stopServers } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';
import { expectCounts } from './verify.ts';
import { killWorkers, startWorkers, WORKER_CONCURRENCY } from './workers.ts';

/** The one `submitMany` line of 100,000 tasks is about 4 MB, over the default 1 MiB cap. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The note shared by the runs where remote workers run the tasks. */
export const WORKER_NOTE =
  'drain, steady: each task leased (a token; the attempt written when it ends) and pushed to a worker ' +
  `process (\`taskwire worker --concurrency ${WORKER_CONCURRENCY}\`), its completion and result (null) ` +
  "committed (the worker's next claim rides in the same transaction, after it); drain queues " +
  'every task with one `submitMany` first';

export function drainWorkload(
  tier: Tier,
  workers: number,
  store: BenchStore,
  servers = 1,
): Workload {
  const name = `drain-w${workers}`;
  return taskwireWorkload({
    tier,
    family: name,
    store,
    servers,
    measures: [
      name,
      `${name}-cpu-server`,
      `${name}-cpu-workers`,
      ...(store.kind === 'postgres' ? ['xacts', 'rows', 'wal'].map((m) => `${name}-db-${m}`) : []),
    ],
    note: store.kind === 'postgres' ? `${WORKER_NOTE}; ${DB_WORK_NOTE}` : WORKER_NOTE,
    async measure(ctx, scope, setup) {
      const n = sizes(ctx.quick).tasks;
      const runStore = await setup.newStore();
      ctx.progress(`starting ${setup.servers} server(s)`);
      const handles = await startServers(
        scope,
        {
          store: runStore,
          fsync: tier === 'fsync',
          args: ['--max-line-bytes', String(MAX_LINE_BYTES)],
        },
        setup.servers,
      );
      const ports = handles.map((s) => s.port);
      ctx.progress(`starting ${workers} worker(s)`);
      const procs = await startWorkers(scope, ports, {
        count: workers,
        concurrency: WORKER_CONCURRENCY,
        types: [TASK_TYPE],
      });
      const clients = await connectEach(scope, ports);
      // The database work counts each task whole, from before it is queued (as steady does).
      let dbMeter: DbWorkMeter | undefined;
      if (runStore.kind === 'postgres') dbMeter = await meterDbWork(runStore, scope.signal);
      ctx.progress(`queuing ${n.toLocaleString('en-US')} tasks`);
      await within(clients[0]!.submitMany(noopTasks(n)), boundMs(n / 10), 'queuing', scope.signal);
      const serverCpu = await meterCpu(handles.map((s) => s.proc.pid));
      const workersCpu = await meterCpu(procs.map((p) => p.pid));
      const started = performance.now();
      const end = await waitCompleted(clients, n, {
        signal: scope.signal,
        timeoutMs: boundMs(n / 2),
        onCount: (count) => ctx.progress(`${count}/${n} done`),
      });
      const elapsed = end.at - started;
      const [serverSeconds, workersSeconds] = await Promise.all([
        serverCpu.read(),
        workersCpu.read(),
      ]);
      await Promise.all(clients.map((c) => c.close()));
      ctx.progress('verifying');
      await killWorkers(procs);
      await stopServers(handles);
      const samples = [
        rate(name, n, elapsed),
        cpuPerTask(`${name}-cpu-server`, serverSeconds, n),
        cpuPerTask(`${name}-cpu-workers`, workersSeconds, n),
      ];
      if (dbMeter) {
        const { samples: db, line } = await dbMeter.finish(name, n, scope.signal);
        ctx.log?.(line);
        samples.push(...db);
      }
      await expectCounts(runStore, { done: n });
      return samples;
    },
  });
}
