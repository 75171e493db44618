/**
 * drain: a queue of no-op tasks run to done by W remote worker processes. The workers
 * connect first; then one `submitMany` queues every task in one transaction, and the clock
 * starts at its acknowledgement, when all of them are queued.
 */
import { connect } from '../../src/client/index.ts';
import type { Tier, Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { waitCompleted } from './completion.ts';
import { noopTasks, TASK_TYPE } from './producer.ts';
import { rate, taskwireWorkload } from './run.ts';
import { startServer, stopServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import { expectCounts } from './verify.ts';
import { killWorkers, startWorkers, WORKER_CONCURRENCY } from './workers.ts';

/** The one `submitMany` line of 100,000 tasks is about 4 MB, over the default 1 MiB cap. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** The note shared by the runs where remote workers run the tasks. */
export const WORKER_NOTE =
  'drain, steady: each task leased (an attempt row with a token) and pushed to a worker ' +
  `process (\`taskwire worker --concurrency ${WORKER_CONCURRENCY}\`), its completion and result (null) ` +
  'committed before the next claim; drain queues every task with one `submitMany` first';

export function drainWorkload(tier: Tier, workers: number): Workload {
  const name = `drain-w${workers}`;
  return taskwireWorkload({
    tier,
    family: name,
    measures: [name],
    note: WORKER_NOTE,
    async measure(ctx, scope) {
      const n = sizes(ctx.quick).tasks;
      const server = await startServer(scope, {
        dir: await scope.tempDir(),
        fsync: tier === 'fsync',
        args: ['--max-line-bytes', String(MAX_LINE_BYTES)],
      });
      ctx.progress(`starting ${workers} worker(s)`);
      const procs = await startWorkers(scope, server.port, {
        count: workers,
        concurrency: WORKER_CONCURRENCY,
        types: [TASK_TYPE],
      });
      const client = await connect({ port: server.port, reconnect: false });
      scope.defer(() => client.close());
      ctx.progress(`queuing ${n.toLocaleString('en-US')} tasks`);
      await within(client.submitMany(noopTasks(n)), boundMs(n / 10), 'queuing', scope.signal);
      const started = performance.now();
      const end = await waitCompleted(client, n, {
        signal: scope.signal,
        timeoutMs: boundMs(n / 2),
        onCount: (count) => ctx.progress(`${count}/${n} done`),
      });
      const elapsed = end.at - started;
      await client.close();
      ctx.progress('verifying');
      await killWorkers(procs);
      await stopServer(server);
      expectCounts(server.db, { done: n });
      return [rate(name, n, elapsed)];
    },
  });
}
