/**
 * tally: `taskwire tally --keys 1000 --reps 10` with 16 worker processes (`--types tally
 * --delay-scale 0`, one task at a time each, like the seed's workers): seconds from the
 * tally's creation to its last key done, as the server reports it (`elapsedMs`).
 */
import type { TallyView } from '../../src/protocol/messages.ts';
import type { Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { taskwireWorkload } from './run.ts';
import { CLI, spawnNode, startServer, stopServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import type { BenchStore } from './store.ts';
import { startWorkers } from './workers.ts';

const WORKERS = 16;

export function tallyWorkload(store: BenchStore): Workload {
  return taskwireWorkload({
    tier: 'default',
    store,
    family: 'tally',
    measures: ['tally'],
    note:
      `tally: one multi-unit task per key, ${WORKERS} worker processes each running one unit at a ` +
      'time; every unit a lease, a completion and a commit; time as the server reports it',
    async measure(ctx, scope, setup) {
      const { tallyKeys: keys, tallyReps: reps } = sizes(ctx.quick);
      const server = await startServer(scope, { store: await setup.newStore() });
      ctx.progress(`starting ${WORKERS} workers`);
      await startWorkers(scope, server.port, { count: WORKERS, concurrency: 1, types: ['tally'] });
      ctx.progress(`tally of ${keys} keys × ${reps} reps`);
      const tally = spawnNode(
        scope,
        [
          CLI,
          'tally',
          '--keys',
          String(keys),
          '--reps',
          String(reps),
          '--json',
          '-P',
          String(server.port),
        ],
        'taskwire tally',
      );
      const stdout: string[] = [];
      tally.onLine('stdout', (line) => stdout.push(line));
      const exit = await within(tally.exited, boundMs(keys * reps), 'the tally', scope.signal);
      if (exit.code !== 0) throw new Error(tally.describeExit(exit));
      const view = JSON.parse(stdout.join('\n')) as TallyView;
      if (view.keysDone !== keys || view.unitsMin < reps || !view.finishedAt) {
        throw new Error(
          `verification failed: ${view.keysDone}/${keys} keys done, units per key ≥ ${view.unitsMin} (expected ${reps})`,
        );
      }
      await stopServer(server); // gracefully: a --cpu-prof profile is written on exit
      return [{ name: 'tally', unit: 's', value: view.elapsedMs / 1000, higherIsBetter: false }];
    },
  });
}
