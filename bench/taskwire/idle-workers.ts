/**
 * idle-workers: many connected idle workers (in a few child processes of the Worker
 * library). Measures the server's RSS once all are registered, and the CPU it spends on
 * them (heartbeats, timers) over an idle window, as % of one core.
 */
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/client/index.ts';
import { megabytes, memoryOf, meterCpu } from '../lib/procfs.ts';
import type { Workload } from '../lib/types.ts';
import { sleep } from '../lib/wait.ts';
import { taskwireWorkload } from './run.ts';
import { spawnNode, startServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';

const CHILD = fileURLToPath(new URL('./idle-workers-child.ts', import.meta.url));
/** Worker processes the connections are spread over. */
const CHILDREN = 4;
const LEASE_S = 30;
/** Lets the burst of registrations settle before memory is read. */
const SETTLE_MS = 1000;

export function idleWorkersWorkload(store: BenchStore): Workload {
  return taskwireWorkload({
    tier: 'default',
    store,
    family: 'idle-workers',
    measures: ['idle-workers-rss', 'idle-workers-cpu'],
    note:
      `idle workers: Worker library connections (\`worker.hello\`, then a ping every lease/3 = ${LEASE_S / 3} s), ` +
      `spread over ${CHILDREN} processes; cpu = server CPU over an idle window, % of one core`,
    async measure(ctx, scope, setup) {
      const { idleWorkers: total, idleWindowMs } = sizes(ctx.quick);
      const server = await startServer(scope, {
        store: await setup.newStore(),
        args: ['--lease', String(LEASE_S)],
        files: total,
      });
      ctx.progress(`connecting ${total} idle workers`);
      const each = Math.ceil(total / CHILDREN);
      const children = Array.from({ length: CHILDREN }, (_, i) => {
        const count = Math.min(each, total - i * each);
        return spawnNode(
          scope,
          ['--import', 'tsx', CHILD, String(server.port), String(count)],
          `idle workers ${i + 1}`,
          count,
        );
      });
      await Promise.all(
        children.map((c) => c.waitForLine('stdout', /^ready /, boundMs(total * 2), scope.signal)),
      );
      const client = await connect({ port: server.port, reconnect: false });
      scope.defer(() => client.close());
      const registered = async (when: string) => {
        const n = (await client.workers()).length;
        if (n !== total) throw new Error(`${n} of ${total} idle workers registered ${when}`);
      };
      await registered('after connecting');
      await sleep(SETTLE_MS, scope.signal);
      const { rss } = await memoryOf(server.proc.pid);
      ctx.progress(`idle window of ${idleWindowMs / 1000} s`);
      const meter = await meterCpu([server.proc.pid]);
      await sleep(idleWindowMs, scope.signal);
      const cpu = await meter.read();
      await registered('after the idle window');
      return [
        { name: 'idle-workers-rss', unit: 'MB', value: megabytes(rss), higherIsBetter: false },
        {
          name: 'idle-workers-cpu',
          unit: '% of a core',
          value: (cpu / (idleWindowMs / 1000)) * 100,
          higherIsBetter: false,
        },
      ];
    },
  });
}
