/**
 * A beanstalkd worker process for the benchmark: reserves no-op jobs from a tube and deletes
 * them, over `connections` connections (its concurrency). Each connection answers a RESERVED
 * with one write of `delete <id>` + `reserve` (plus, in reply mode, a `put` of the job id on
 * the reply tube after the delete, which the latency client reserves).
 *
 * One reserve in flight per connection, not more: a `reserve` that blocks on an empty tube
 * holds back every command pipelined behind it, including deletes of jobs already reserved.
 *
 * Usage: node --import tsx beanstalkd-worker.ts '{"port":P,"tube":"T","connections":C,"maxMs":M,"reply":"R"?}'
 */
import { BeanstalkClient, type Job } from './beanstalk-client.ts';
import { startWorkerIo, workerConfig } from './worker-io.ts';

interface Config {
  port: number;
  tube: string;
  connections: number;
  maxMs: number;
  /** Reply mode: put the job's id on this tube once the job is deleted. */
  reply?: string;
}

const cfg = workerConfig<Config>();
const clients: BeanstalkClient[] = [];
let stopping = false;

const io = startWorkerIo({
  maxMs: cfg.maxMs,
  onGo: () => {
    for (const client of clients) consume(client);
  },
  onStop: () => {
    stopping = true;
    for (const client of clients) client.close();
  },
});

function failed(err: Error | null): boolean {
  if (err && !stopping) io.fatal(err);
  return err !== null;
}

function consume(client: BeanstalkClient): void {
  const onDeleted = (err: Error | null) => {
    if (!failed(err)) io.taskDone();
  };
  const onReplied = (err: Error | null) => {
    failed(err);
  };
  const onReserved = (err: Error | null, job: Job | null) => {
    if (failed(err)) return;
    if (job) {
      // These leave in one write; beanstalkd runs them in order.
      client.deleteCb(job.id, onDeleted);
      if (cfg.reply !== undefined) client.putCb(job.id, onReplied);
    }
    client.reserveCb(onReserved);
  };
  client.reserveCb(onReserved);
}

try {
  for (let i = 0; i < cfg.connections; i++) {
    const client = await BeanstalkClient.connect(cfg.port);
    client.onClose = (err) => {
      if (!stopping) io.fatal(err);
    };
    await client.watch(cfg.tube);
    if (cfg.tube !== 'default') await client.ignore('default');
    if (cfg.reply !== undefined) await client.use(cfg.reply);
    clients.push(client);
  }
  io.ready();
} catch (err) {
  io.fatal(err);
}
