/** BullMQ on Redis (AOF on) as a benchmark peer; BullMQ is loaded from bench/node_modules. */
import type { Tier } from '../lib/types.ts';
import { type BullQueueEvents, loadBullMQ, type RedisConnectionOptions } from './bullmq-api.ts';
import { type Kind, PAYLOAD, type PeerSystem, type Producer } from './run.ts';
import { startRedis } from './servers.ts';
import { hrnow } from './util.ts';
import { WorkerProc, workerScript } from './workers.ts';

const QUEUE = 'bench';
/** Jobs each worker process runs at once (its `concurrency`). */
const CONCURRENCY = 50;
const DATA = JSON.parse(PAYLOAD) as { p: string };

const WORKER = workerScript('./bullmq-worker.ts');

export const bullmq: PeerSystem = {
  system: 'bullmq',
  startServer: startRedis,

  worker({ port }, index, latency, maxMs) {
    return new WorkerProc(`bullmq worker ${index + 1}`, WORKER, {
      port,
      queue: QUEUE,
      concurrency: latency ? 1 : CONCURRENCY,
      maxMs,
    });
  },

  async producer({ port }) {
    const { Queue, QueueEvents } = loadBullMQ();
    const connection: RedisConnectionOptions = { host: '127.0.0.1', port };
    const queue = new Queue(QUEUE, { connection });
    let events: BullQueueEvents | null = null;
    try {
      await queue.waitUntilReady();
    } catch (err) {
      await queue.close().catch(() => {});
      throw err;
    }
    const producer: Producer = {
      submitBatch: async (count) => {
        await queue.addBulk(Array.from({ length: count }, () => ({ name: 'noop', data: DATA })));
      },
      prepareRoundTrip: async () => {
        events = new QueueEvents(QUEUE, {
          connection: { ...connection, maxRetriesPerRequest: null },
        });
        await events.waitUntilReady();
      },
      roundTrip: async () => {
        const job = await queue.add('noop', DATA);
        await job.waitUntilFinished(events!, 10_000);
        return hrnow();
      },
      close: async () => {
        await events?.close();
        await queue.close();
      },
    };
    return producer;
  },

  note(kind: Kind, tier: Tier) {
    if (tier === 'fsync') {
      return 'fsync tier: Redis `appendfsync always`: the AOF fsynced before replies are sent';
    }
    if (kind === 'latency' || kind === 'latency-long') {
      return (
        'latency: `Queue.add`, then `job.waitUntilFinished` (the completed event, read from the ' +
        "queue's Redis stream by `QueueEvents`); one idle worker process with concurrency 1"
      );
    }
    return (
      'submit, drain, steady: each task a job (hash + wait-list entry; `Queue.addBulk` of 1,000), ' +
      `moved to active, then to completed by a \`Worker\` process (concurrency ${CONCURRENCY}) with ` +
      'its return value (null): job hash + return value kept in Redis; AOF `appendfsync everysec`'
    );
  },
};
