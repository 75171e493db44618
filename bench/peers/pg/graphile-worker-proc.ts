/**
 * A graphile-worker process for the benchmark: one runner (`run()` from graphile-worker)
 * whose one task, `noop`, does nothing. A task counts as done once graphile-worker's delete
 * of its job (in a batch when `completeJobBatchDelay` is set) has returned from the
 * database (api.ts `observeGraphileCompletions`), not at its `job:success` event, which
 * comes before that.
 *
 * The pool (graphile-worker's `pgPool` option) is made and connected before the process
 * says it is ready; the runner starts on `go`.
 *
 * Usage: node --import tsx graphile-worker-proc.ts '{"url":U,"concurrency":C,"localQueue":N,"maxPoolSize":P,
 *        "batchDelay":D,"maxMs":M}' (localQueue and batchDelay -1: graphile-worker's defaults,
 *        off)
 */
import pg from 'pg';
import { startWorkerIo, workerConfig } from '../worker-io.ts';
import type { GraphileRunner } from './api.ts';
import { completionsSettled, loadGraphileWorker, observeGraphileCompletions } from './api.ts';

interface Config {
  url: string;
  concurrency: number;
  localQueue: number;
  batchDelay: number;
  maxPoolSize: number;
  maxMs: number;
}

// graphile-worker logs a line per successful job unless this is set (read when it loads).
process.env.NO_LOG_SUCCESS = '1';

const cfg = workerConfig<Config>();
let runner: GraphileRunner | null = null;
const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.maxPoolSize });
pool.on('error', (err) => process.stderr.write(`graphile-worker pool error: ${err.message}\n`));

const io = startWorkerIo({
  maxMs: cfg.maxMs,
  onGo: () => {
    void start().catch((err: unknown) => io.fatal(err));
  },
  onStop: async () => {
    await completionsSettled();
    await runner?.stop();
    await pool.end();
  },
});

async function start(): Promise<void> {
  const { run } = loadGraphileWorker();
  const worker: Record<string, unknown> = {};
  if (cfg.localQueue > 0) worker.localQueue = { size: cfg.localQueue };
  if (cfg.batchDelay >= 0) {
    worker.completeJobBatchDelay = cfg.batchDelay;
    worker.failJobBatchDelay = cfg.batchDelay;
  }
  runner = await run({
    pgPool: pool,
    concurrency: cfg.concurrency,
    noHandleSignals: true,
    taskList: { noop: () => {} },
    preset: { worker },
  });
  runner.events.on('job:error', ({ error }) => io.fatal(error));
  runner.promise.catch((err: unknown) => io.fatal(err));
}

try {
  loadGraphileWorker(); // fails here, before ready, when it is not installed
  observeGraphileCompletions((n) => {
    for (let i = 0; i < n; i++) io.taskDone();
  });
  // Opens the connections the runner will use, so that go → first job is not a connect.
  const clients = await Promise.all(Array.from({ length: 2 }, () => pool.connect()));
  for (const c of clients) c.release();
  io.ready();
} catch (err) {
  io.fatal(err);
}
