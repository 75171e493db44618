/**
 * pg-boss (bench/node_modules) as a PostgreSQL peer, used as its documentation has it for
 * throughput: jobs created with `insert` (one multi-row insert per 1,000), and workers
 * (`work()`) that fetch a batch (`batchSize`) at a time and complete it in one update.
 * A `work()` loop sleeps out its polling interval after every fetch that took less than the
 * interval (pg-boss 10 has no LISTEN/NOTIFY), so its rate is at most batchSize per interval:
 * each worker process runs PGB_LOOPS loops of PGB_BATCH jobs at the shortest interval pg-boss
 * allows (0.5 s). The latency worker: one loop, batchSize 1, the same interval. Everything
 * else is pg-boss's default: its maintenance and cron supervision on, completed jobs kept in
 * the job table (archived after 12 h, deleted after 7 days).
 */
import type { Kind, PeerSystem, Producer } from '../run.ts';
import { PAYLOAD } from '../run.ts';
import type { PeerServer } from '../servers.ts';
import { PeerRunError } from '../util.ts';
import { WorkerProc, workerScript } from '../workers.ts';
import { loadPgBoss, type PgBoss } from './api.ts';
import { dbUrl, freshDatabase, openClient, pollUntil, queryRows } from './database.ts';

const QUEUE = 'bench';
export const PGB_BATCH = 1000;
export const PGB_LOOPS = 1;
const INTERVAL_S = 0.5;
const DATA = JSON.parse(PAYLOAD) as { p: string };
const WORKER = workerScript('./pg/pgboss-worker.ts');

async function started(url: string): Promise<PgBoss> {
  const PgBossClass = loadPgBoss();
  const boss = new PgBossClass({ connectionString: url });
  boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
  await boss.start();
  return boss;
}

async function install(url: string): Promise<void> {
  const boss = await started(url);
  try {
    await boss.createQueue(QUEUE);
  } finally {
    await boss.stop({ graceful: false, wait: true, timeout: 5000 });
  }
}

async function verify(server: PeerServer, expected: { done: number } | { queued: number }) {
  const rows = await queryRows<{ state: string; n: string }>(
    server,
    `SELECT state, count(*) AS n FROM (SELECT state::text FROM pgboss.job WHERE name = $1
       UNION ALL SELECT state::text FROM pgboss.archive WHERE name = $1) j GROUP BY state`,
    [QUEUE],
  );
  const counts = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  const [state, want] =
    'done' in expected ? ['completed', expected.done] : ['created', expected.queued];
  const wrong = rows.filter((r) => r.state !== state && Number(r.n) > 0);
  if ((counts[state] ?? 0) !== want || wrong.length > 0) {
    throw new PeerRunError(
      `verification failed: expected ${want} job(s) ${state}; found ${JSON.stringify(counts)}`,
    );
  }
}

export function pgBoss(adminUrl: string): PeerSystem {
  return {
    system: 'pg-boss',
    store: 'postgres',
    kinds: ['submit', 'drain-w4', 'steady', 'latency'],
    startServer: (_tier, signal) => freshDatabase(adminUrl, 'pg-boss', signal, install),

    worker(server, index, latency, maxMs) {
      return new WorkerProc(`pg-boss worker ${index + 1}`, WORKER, {
        url: dbUrl(server),
        queue: QUEUE,
        batchSize: latency ? 1 : PGB_BATCH,
        loops: latency ? 1 : PGB_LOOPS,
        pollingIntervalSeconds: INTERVAL_S,
        maxMs,
      });
    },

    async producer(server) {
      const url = dbUrl(server);
      const boss = await started(url);
      let reader: Awaited<ReturnType<typeof openClient>> | null = null;
      const producer: Producer = {
        submitBatch: async (count) => {
          await boss.insert(Array.from({ length: count }, () => ({ name: QUEUE, data: DATA })));
        },
        prepareRoundTrip: async () => {
          reader = await openClient(url);
        },
        roundTrip: async () => {
          const id = await boss.send(QUEUE, DATA);
          if (!id) throw new PeerRunError('send returned no job id');
          return pollUntil(
            reader!,
            'SELECT state::text FROM pgboss.job WHERE name = $1 AND id = $2',
            [QUEUE, id],
            (rows) => rows[0]?.state === 'completed',
            10_000,
          );
        },
        close: async () => {
          await reader?.end().catch(() => undefined);
          reader = null;
          await boss.stop({ graceful: false, wait: true, timeout: 5000 });
        },
      };
      return producer;
    },

    verify,
    // Each round trip waits for the worker's next poll: about INTERVAL_S.
    slowLatency: { warmup: 10, samples: 200, expectedMs: INTERVAL_S * 1000 },

    note(kind: Kind) {
      if (kind === 'latency') {
        return (
          'latency: `send`, then the producer re-reads the job by id back to back until its state ' +
          'is `completed` (pg-boss pushes no completion to the sender); one worker process, one ' +
          `\`work()\` loop of batchSize 1 polling every ${INTERVAL_S} s (pg-boss’s shortest interval); ` +
          '10 warm-up round trips and 200 samples (quick: 2 and 30), not 2,000, at about 0.5 s each'
        );
      }
      return (
        'submit, drain, steady: each task a job row (`insert` of 1,000 in one statement) in the ' +
        `queue's partition, fetched \`active\` by a worker process (${PGB_LOOPS} \`work()\` loops of ` +
        `batchSize ${PGB_BATCH}, polling every ${INTERVAL_S} s) and updated to \`completed\` with ` +
        'its output (null), batch by batch: the row stays (archived after 12 h by default); ' +
        'a task counts as done once that update returned from the database (pg-boss’s own ' +
        '`complete`, observed in the worker process); all completed is checked after the run'
      );
    },
  };
}
