/**
 * graphile-worker (bench/node_modules) as a PostgreSQL peer, set up as its performance page
 * sets it up for throughput: `addJobs` of 1,000 jobs per call; worker processes of
 * concurrency 24, each with a local queue of 500 jobs fetched in one query, and job
 * completions batched (`completeJobBatchDelay: 0`, `failJobBatchDelay: 0`). New jobs reach
 * idle workers through LISTEN/NOTIFY (graphile-worker's default); the poll interval (2 s,
 * default) only matters for jobs scheduled in the future or retried. The pool: graphile-worker's
 * default of 10 connections per process. The latency worker runs with the defaults
 * (concurrency 1, no local queue, no completion batching).
 */
import type { Kind, PeerSystem, Producer } from '../run.ts';
import { PAYLOAD } from '../run.ts';
import type { PeerServer } from '../servers.ts';
import { PeerRunError } from '../util.ts';
import { WorkerProc, workerScript } from '../workers.ts';
import { loadGraphileWorker } from './api.ts';
import { dbUrl, freshDatabase, openClient, pollUntil, queryRows } from './database.ts';

const TASK = 'noop';
export const GW_CONCURRENCY = 24;
export const GW_LOCAL_QUEUE = 500;
const GW_POOL = 10;
const DATA = JSON.parse(PAYLOAD) as { p: string };
const WORKER = workerScript('./pg/graphile-worker-proc.ts');
const JOBS = 'graphile_worker._private_jobs';

async function install(url: string): Promise<void> {
  const utils = await loadGraphileWorker().makeWorkerUtils({ connectionString: url });
  try {
    await utils.migrate();
  } finally {
    await utils.release();
  }
}

async function verify(server: PeerServer, expected: { done: number } | { queued: number }) {
  const [row] = await queryRows<{ n: string; tried: string }>(
    server,
    `SELECT count(*) AS n, count(*) FILTER (WHERE attempts > 0) AS tried FROM ${JOBS}`,
  );
  const left = Number(row?.n ?? -1);
  const tried = Number(row?.tried ?? -1);
  // A job is deleted once it succeeded: none may be left after a drain; after submit, all.
  const want = 'done' in expected ? 0 : expected.queued;
  if (left !== want || tried !== 0) {
    throw new PeerRunError(
      `verification failed: expected ${want} job(s) left (none attempted), found ${left} (${tried} attempted)`,
    );
  }
}

export function graphileWorker(adminUrl: string): PeerSystem {
  return {
    system: 'graphile-worker',
    store: 'postgres',
    kinds: ['submit', 'drain-w4', 'steady', 'latency', 'latency-long'],
    startServer: (_tier, signal) => freshDatabase(adminUrl, 'graphile-worker', signal, install),

    worker(server, index, latency, maxMs) {
      return new WorkerProc(`graphile-worker ${index + 1}`, WORKER, {
        url: dbUrl(server),
        concurrency: latency ? 1 : GW_CONCURRENCY,
        localQueue: latency ? -1 : GW_LOCAL_QUEUE,
        batchDelay: latency ? -1 : 0,
        maxPoolSize: GW_POOL,
        maxMs,
      });
    },

    async producer(server) {
      const url = dbUrl(server);
      const utils = await loadGraphileWorker().makeWorkerUtils({ connectionString: url });
      let reader: Awaited<ReturnType<typeof openClient>> | null = null;
      const producer: Producer = {
        submitBatch: async (count) => {
          await utils.addJobs(
            Array.from({ length: count }, () => ({ identifier: TASK, payload: DATA })),
          );
        },
        prepareRoundTrip: async () => {
          reader = await openClient(url);
        },
        roundTrip: async () => {
          const job = await utils.addJob(TASK, DATA);
          // Done = its row deleted (graphile-worker deletes a job once it succeeded).
          return pollUntil(
            reader!,
            `SELECT 1 FROM ${JOBS} WHERE id = $1`,
            [job.id],
            (rows) => rows.length === 0,
            10_000,
          );
        },
        close: async () => {
          await reader?.end().catch(() => undefined);
          reader = null;
          await utils.release();
        },
      };
      return producer;
    },

    verify,

    note(kind: Kind) {
      if (kind === 'latency' || kind === 'latency-long') {
        return (
          `${kind}: \`addJob\`, then the producer re-reads the job by id back to back until its row ` +
          'is gone (graphile-worker tells no one but its worker that a job finished); one idle ' +
          'worker process with the defaults (concurrency 1, woken by LISTEN/NOTIFY)'
        );
      }
      return (
        'submit, drain, steady: each task a job row (`addJobs` of 1,000 in one call), locked by ' +
        `a worker process (concurrency ${GW_CONCURRENCY}, local queue ${GW_LOCAL_QUEUE}, ` +
        'completions batched with `completeJobBatchDelay: 0`), and deleted when it succeeded: ' +
        'no row, no result and no attempt kept after success (a failed job stays, with its ' +
        'last error); a task counts as done once the delete of its row returned from the ' +
        'database (graphile-worker’s own completion function, observed in the worker process); ' +
        'all deleted is checked after the run'
      );
    },
  };
}
