/**
 * A BullMQ worker process for the benchmark: one `Worker` with `concurrency` slots whose
 * processor does nothing and returns null; BullMQ stores that return value in the job's hash
 * when it moves the job to `completed` (and fetches the next job in the same call). A task
 * counts as done on the worker's `completed` event, emitted once Redis has answered that move.
 *
 * Usage: node --import tsx bullmq-worker.ts '{"port":P,"queue":"Q","concurrency":C,"maxMs":M}'
 */
import type { BullWorker } from './bullmq-api.ts';
import { loadBullMQ } from './bullmq-api.ts';
import { startWorkerIo, workerConfig } from './worker-io.ts';

interface Config {
  port: number;
  queue: string;
  concurrency: number;
  maxMs: number;
}

const cfg = workerConfig<Config>();
let worker: BullWorker | null = null;

const io = startWorkerIo({
  maxMs: cfg.maxMs,
  onGo: () => {
    worker!.run().catch((err: unknown) => io.fatal(err));
  },
  onStop: async () => {
    await worker?.close(true);
  },
});

try {
  const { Worker } = loadBullMQ();
  worker = new Worker(cfg.queue, async () => null, {
    connection: { host: '127.0.0.1', port: cfg.port, maxRetriesPerRequest: null },
    concurrency: cfg.concurrency,
    autorun: false,
  });
  worker.on('completed', () => io.taskDone());
  worker.on('failed', (_job, err) => io.fatal(err));
  worker.on('error', (err) => process.stderr.write(`bullmq worker error: ${err.message}\n`));
  await worker.waitUntilReady();
  io.ready();
} catch (err) {
  io.fatal(err);
}
