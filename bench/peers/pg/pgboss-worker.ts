/**
 * A pg-boss worker process for the benchmark: one PgBoss instance, started (connected, its
 * schema checked, its maintenance running) before the process says it is ready, and on `go`
 * `loops` calls of `work()` on the queue, each fetching up to `batchSize` jobs at a time.
 * The handler does nothing; pg-boss then marks the batch completed in one update. A task
 * counts as done when its batch's handler returns.
 *
 * Usage: node --import tsx pgboss-worker.ts '{"url":U,"queue":Q,"batchSize":B,"loops":L,
 *        "pollingIntervalSeconds":S,"maxMs":M}'
 */
import { startWorkerIo, workerConfig } from '../worker-io.ts';
import type { PgBoss } from './api.ts';
import { loadPgBoss } from './api.ts';

interface Config {
  url: string;
  queue: string;
  batchSize: number;
  loops: number;
  pollingIntervalSeconds: number;
  maxMs: number;
}

const cfg = workerConfig<Config>();
let boss: PgBoss | null = null;

const io = startWorkerIo({
  maxMs: cfg.maxMs,
  onGo: () => {
    const options = {
      batchSize: cfg.batchSize,
      pollingIntervalSeconds: cfg.pollingIntervalSeconds,
    };
    for (let i = 0; i < cfg.loops; i++) {
      boss!
        .work(cfg.queue, options, async (jobs) => {
          for (let k = 0; k < jobs.length; k++) io.taskDone();
        })
        .catch((err: unknown) => io.fatal(err));
    }
  },
  onStop: async () => {
    // Graceful: the workers finish their batch, and their completions are written.
    await boss?.stop({ graceful: true, wait: true, timeout: 1500 });
  },
});

try {
  const PgBossClass = loadPgBoss();
  boss = new PgBossClass({ connectionString: cfg.url });
  boss.on('error', (err) => io.fatal(err));
  await boss.start();
  io.ready();
} catch (err) {
  io.fatal(err);
}
