/**
 * backlog: a server holding a large queue. Fills the queue (backlog-fill.ts), starts the
 * server on it once, then restarts it and measures:
 * - restart: from spawning the server to its first answered `ping`;
 * - rss: the server's peak RSS (VmHWM) from that start through the drain below;
 * - drain: the rate of the next completions by 4 workers while a producer replaces each
 *   completed task (so the queue keeps its size), against the same with a 1,000-task queue.
 */
import { type Client, connect } from '../../src/client/index.ts';
import { megabytes, memoryOf } from '../lib/procfs.ts';
import type { RunScope } from '../lib/scope.ts';
import type { RunContext, Workload } from '../lib/types.ts';
import { within } from '../lib/wait.ts';
import { fillQueue } from './backlog-fill.ts';
import { completedCount, waitCompleted } from './completion.ts';
import { noopTasks, TASK_TYPE } from './producer.ts';
import { taskwireWorkload } from './run.ts';
import { type ServerHandle, startServer, stopServer } from './server.ts';
import { boundMs, sizes } from './sizes.ts';
import { type RunStore, sqliteStore } from './store.ts';
import { statusCounts } from './verify.ts';
import { killWorkers, startWorkers, WORKER_CONCURRENCY } from './workers.ts';

const SMALL_BACKLOG = 1000;
const WORKERS = 4;
/**
 * The small queue also holds what the workers have leased, so that about 1,000 tasks wait
 * while the workers run theirs (at 1,000,000 the difference does not matter).
 */
const SMALL_FILL = SMALL_BACKLOG + WORKERS * WORKER_CONCURRENCY;
/** The most a top-up sends in one `submitMany` (well under the 1 MiB line cap). */
const TOP_UP_CHUNK = 10_000;

interface Drain {
  /** Completions per second while the queue kept its size. */
  rate: number;
  /** Tasks the producer added to replace completed ones. */
  added: number;
}

/**
 * Starts the workers and measures `target` completions while every completed task is
 * replaced by a new one (checked every poll), so the queue holds about its size throughout.
 */
async function drainAtConstantBacklog(
  scope: RunScope,
  server: ServerHandle,
  backlog: number,
  target: number,
  ctx: RunContext,
): Promise<Drain> {
  const workers = await startWorkers(scope, server.port, {
    count: WORKERS,
    concurrency: WORKER_CONCURRENCY,
    types: [TASK_TYPE],
  });
  const client: Client = await connect({ port: server.port, reconnect: false });
  scope.defer(() => client.close());
  let added = 0;
  const topUp = async (count: number) => {
    while (added < count) {
      const n = Math.min(TOP_UP_CHUNK, count - added);
      await client.submitMany(noopTasks(n, backlog + added));
      added += n;
    }
  };
  const first = await completedCount(client);
  const started = performance.now();
  const end = await waitCompleted(client, first + target, {
    signal: scope.signal,
    timeoutMs: boundMs(target / 2),
    onCount: (count) => ctx.progress(`backlog ${backlog}: ${count - first}/${target} done`),
    afterPoll: topUp,
  });
  await killWorkers(workers);
  await client.close();
  return { rate: (end.count - first) / ((end.at - started) / 1000), added };
}

/** Checks the file after a drain: nothing lost or failed, at least `target` tasks done. */
async function verifyDrain(
  store: RunStore,
  backlog: number,
  drain: Drain,
  target: number,
): Promise<void> {
  const counts = await statusCounts(store);
  const total = counts.enqueued + counts.processing + counts.done + counts.failed + counts.canceled;
  const problems = [
    total !== backlog + drain.added && `${total} tasks, expected ${backlog + drain.added}`,
    counts.done < target && `${counts.done} done, expected at least ${target}`,
    counts.failed + counts.canceled + counts.processing > 0 &&
      `${counts.failed} failed, ${counts.canceled} canceled, ${counts.processing} processing`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`verification failed: ${problems.join('; ')}`);
}

export function backlogWorkload(): Workload {
  return taskwireWorkload({
    tier: 'default',
    family: 'backlog',
    measures: [
      'backlog-rss',
      'backlog-restart',
      'backlog-drain',
      'backlog-drain-1k',
      'backlog-drain-ratio',
    ],
    note:
      'backlog: the queue written into the SQLite file with the server’s SqliteStore before it ' +
      'starts; rss = server peak (VmHWM) from the restart through the drain; ' +
      `drain = ${WORKERS} workers while each completed task is replaced, so the queue keeps its size; ` +
      'ratio = drain rate at the large backlog ÷ at 1,000 (1 = no slowdown)',
    async measure(ctx, scope) {
      const { backlog, backlogDrain: target } = sizes(ctx.quick);
      const bigStore = sqliteStore(await scope.tempDir());
      const fill = (store: { path: string }, count: number) =>
        within(
          fillQueue(store.path, count, scope.signal, ctx.progress),
          boundMs(count / 20),
          'filling the queue',
          scope.signal,
        );
      await fill(bigStore, backlog);
      ctx.progress('first start');
      await stopServer(await startServer(scope, { store: bigStore }));
      ctx.progress('restart');
      const big = await startServer(scope, { store: bigStore });
      const bigDrain = await drainAtConstantBacklog(scope, big, backlog, target, ctx);
      const { peak } = await memoryOf(big.proc.pid);
      await stopServer(big);
      await verifyDrain(big.store, backlog, bigDrain, target);

      const smallStore = sqliteStore(await scope.tempDir());
      await fill(smallStore, SMALL_FILL);
      const small = await startServer(scope, { store: smallStore });
      const smallDrain = await drainAtConstantBacklog(scope, small, SMALL_FILL, target, ctx);
      await stopServer(small);
      await verifyDrain(small.store, SMALL_FILL, smallDrain, target);
      return [
        { name: 'backlog-rss', unit: 'MB', value: megabytes(peak), higherIsBetter: false },
        { name: 'backlog-restart', unit: 's', value: big.startMs / 1000, higherIsBetter: false },
        { name: 'backlog-drain', unit: 'tasks/s', value: bigDrain.rate, higherIsBetter: true },
        { name: 'backlog-drain-1k', unit: 'tasks/s', value: smallDrain.rate, higherIsBetter: true },
        {
          name: 'backlog-drain-ratio',
          unit: 'ratio',
          value: bigDrain.rate / smallDrain.rate,
          higherIsBetter: true,
        },
      ];
    },
  });
}
