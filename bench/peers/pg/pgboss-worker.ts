/**
 * A pg-boss worker process for the benchmark: one PgBoss instance, started (connected, its
 * schema checked, its maintenance running) before the process says it is ready, and on `go`
 * `loops` calls of `work()` on the queue, each fetching up to `batchSize` jobs at a time.
 * The handler does nothing; pg-boss then marks the batch completed in one update. A task
 * counts as done once that update has returned from the database (api.ts
 * `observePgBossCompletions`).
 *
 * Usage: node --import tsx pgboss-worker.ts '{"url":U,"queue":Q,"batchSize":B,"loops":L,
 *        "pollingIntervalSeconds":S,"maxMs":M}'
 */
import { startWorkerIo, workerConfig } from '../worker-io.ts';
import type { PgBoss } from './api.ts';
import { completionsSettled, loadPgBoss, observePgBossCompletions } from './api.ts';

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
      boss!.work(cfg.queue, options, async () => {}).catch((err: unknown) => io.fatal(err));
    }
  },
  onStop: async () => {
    await completionsSettled();
    // Graceful: the workers finish their batch, and their completions are written.
    await boss?.stop({ graceful: true, wait: true, timeout: 1500 });
  },
});

try {
  const PgBossClass = loadPgBoss();
  observePgBossCompletions(cfg.queue, (n) => {
    for (let i = 0; i < n; i++) io.taskDone();
  });
  boss = new PgBossClass({ connectionString: cfg.url });
  boss.on('error', (err) => io.fatal(err));
  await boss.start();
  io.ready();
} catch (err) {
  io.fatal(err);
}
