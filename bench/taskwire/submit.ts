/** submit: tasks acknowledged (committed) per second from one client over one connection. */
import { connect } from '../../src/client/index.ts';
import type { Tier, Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { holdTaskType } from './holder.ts';
import { submitPipelined } from './producer.ts';
import { rate, taskwireWorkload } from './run.ts';
import { startServer, stopServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';
import { expectCounts } from './verify.ts';

export function submitWorkload(tier: Tier, store: BenchStore): Workload {
  return taskwireWorkload({
    tier,
    family: 'submit',
    store,
    measures: ['submit'],
    note:
      'submit: one `submit` call per task, up to 1,000 in flight on one connection (the client library sends the submits of one microtask as one `submitMany`, at most 1,000 per request); ' +
      `acknowledged once committed to ${store.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} ` +
      '(the submits of one event-loop turn share a transaction)',
    async measure(ctx, scope, setup) {
      const n = sizes(ctx.quick).tasks;
      const server = await startServer(scope, {
        store: await setup.newStore(),
        fsync: tier === 'fsync',
      });
      await holdTaskType(scope, server.port);
      const client = await connect({ port: server.port, reconnect: false });
      scope.defer(() => client.close());
      ctx.progress(`submitting ${n.toLocaleString('en-US')} tasks`);
      const started = performance.now();
      await within(
        submitPipelined(client, n, scope.signal, (acked) =>
          ctx.progress(`${acked}/${n} acknowledged`),
        ),
        boundMs(n / 5),
        'submitting',
        scope.signal,
      );
      const elapsed = performance.now() - started;
      await client.close();
      ctx.progress('verifying');
      await stopServer(server);
      // The placeholder's one task went back to the queue when the server stopped.
      await expectCounts(server.store, { enqueued: n });
      return [rate('submit', n, elapsed)];
    },
  });
}
