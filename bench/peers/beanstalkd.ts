/** beanstalkd as a benchmark peer: its binlog for durability, the client in beanstalk-client.ts. */
import type { Tier } from '../lib/types.ts';
import { BeanstalkClient } from './beanstalk-client.ts';
import { type Kind, PAYLOAD, type PeerSystem, type Producer } from './run.ts';
import { startBeanstalkd } from './servers.ts';
import { hrnow, PeerRunError } from './util.ts';
import { WorkerProc, workerScript } from './workers.ts';

const TUBE = 'bench';
const REPLY_TUBE = 'bench-reply';
/** Connections each worker process reserves on (its concurrency), one reserve in flight each. */
const CONNECTIONS = 8;

const WORKER = workerScript('./beanstalkd-worker.ts');

export const beanstalkd: PeerSystem = {
  system: 'beanstalkd',
  startServer: startBeanstalkd,

  worker({ port }, index, latency, maxMs) {
    return new WorkerProc(`beanstalkd worker ${index + 1}`, WORKER, {
      port,
      tube: TUBE,
      connections: latency ? 1 : CONNECTIONS,
      maxMs,
      ...(latency ? { reply: REPLY_TUBE } : {}),
    });
  },

  async producer({ port }) {
    const client = await BeanstalkClient.connect(port);
    await client.use(TUBE);
    return new BeanstalkProducer(client);
  },

  note(kind: Kind, tier: Tier) {
    if (tier === 'fsync') {
      return 'fsync tier: `beanstalkd -f 0`: the binlog fsynced on every write (put, delete), before the reply';
    }
    if (kind === 'latency' || kind === 'latency-long') {
      return (
        "latency: `put`, then the client's `reserve` on a reply tube returns the reply job the " +
        "worker (one connection) puts there after deleting the task's job; deleting the reply is not timed"
      );
    }
    return (
      'submit, drain, steady: each task a job `put` (1,000 pipelined per write), `reserve`d and ' +
      `\`delete\`d by a worker process (${CONNECTIONS} connections, each sending \`delete\` + the next ` +
      '`reserve` in one write); put and delete written to the binlog (fsync at most every 50 ms, ' +
      'the default); no result kept'
    );
  },
};

class BeanstalkProducer implements Producer {
  constructor(private readonly client: BeanstalkClient) {}

  submitBatch(count: number): Promise<void> {
    return this.client.putMany(PAYLOAD, count);
  }

  async prepareRoundTrip(): Promise<void> {
    await this.client.watch(REPLY_TUBE);
    await this.client.ignore('default');
  }

  roundTrip(): Promise<bigint> {
    return new Promise((resolve, reject) => {
      let id = '';
      // put and reserve leave in one write; the reserve waits for the worker's reply job.
      this.client.putCb(PAYLOAD, (err, putId) => {
        if (err) reject(err);
        id = putId;
      });
      this.client.reserveCb((err, reply) => {
        const at = hrnow();
        if (err) return reject(err);
        if (!reply) return reject(new PeerRunError('reserve of the reply timed out'));
        if (reply.body.toString() !== id) {
          return reject(new PeerRunError(`reply for job ${reply.body} while waiting for ${id}`));
        }
        this.client.deleteCb(reply.id, (delErr) => (delErr ? reject(delErr) : resolve(at)));
      });
    });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
