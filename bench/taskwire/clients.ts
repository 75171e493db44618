/**
 * clients: many client connections at once, each submitting tasks and waiting for their
 * results, run by the server's built-in executor. The clients run in a child process
 * (clients-child.ts) so the bench process's own event loop does not count.
 */
import { fileURLToPath } from 'node:url';
import { megabytes, memoryOf } from '../lib/procfs.ts';
import type { Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { taskwireWorkload } from './run.ts';
import { spawnNode, startServer, stopServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';
import { expectCounts } from './verify.ts';

const CHILD = fileURLToPath(new URL('./clients-child.ts', import.meta.url));
const EXECUTOR_CONCURRENCY = 64;

interface ChildReport {
  elapsedMs: number;
  errors: number;
  messages: string[];
}

export function clientsWorkload(store: BenchStore): Workload {
  return taskwireWorkload({
    tier: 'default',
    store,
    family: 'clients',
    measures: ['clients', 'clients-errors', 'clients-rss'],
    note:
      'clients: every connection opened at once, 20 `submit`s then 20 `wait`s each; the ' +
      `server's executor runs the tasks (--concurrency ${EXECUTOR_CONCURRENCY}); rss = server peak (VmHWM)`,
    async measure(ctx, scope, setup) {
      const { clients, tasksPerClient } = sizes(ctx.quick);
      const server = await startServer(scope, {
        store: await setup.newStore(),
        local: true,
        args: ['--concurrency', String(EXECUTOR_CONCURRENCY), '--delay-scale', '0'],
        files: clients,
      });
      ctx.progress(`${clients} clients × ${tasksPerClient} tasks`);
      const child = spawnNode(
        scope,
        ['--import', 'tsx', CHILD, String(server.port), String(clients), String(tasksPerClient)],
        'clients',
        clients,
      );
      const line = await child.waitForLine('stdout', /^\{/, boundMs(clients * 20), scope.signal);
      const report = JSON.parse(line) as ChildReport;
      await within(child.exited, 30_000, 'clients exiting', scope.signal);
      const peak = (await memoryOf(server.proc.pid)).peak;
      ctx.progress('verifying');
      await stopServer(server);
      if (report.errors === 0) await expectCounts(server.store, { done: clients * tasksPerClient });
      else ctx.log?.(`${report.errors} client errors: ${report.messages.join('; ')}`);
      return [
        { name: 'clients', unit: 's', value: report.elapsedMs / 1000, higherIsBetter: false },
        { name: 'clients-errors', unit: 'count', value: report.errors, higherIsBetter: false },
        { name: 'clients-rss', unit: 'MB', value: megabytes(peak), higherIsBetter: false },
      ];
    },
  });
}
