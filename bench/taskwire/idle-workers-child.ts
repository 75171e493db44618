/**
 * Idle workers for the `idle-workers` measurement: `node --import tsx idle-workers-child.ts
 * PORT COUNT`. Each is a Worker of the library (`worker.hello`, then a ping every third of
 * the lease, as a real idle worker does). Prints "ready COUNT" once the server registered
 * all of them, then stays until it is killed.
 */
import { Worker } from '../../src/worker/worker.ts';
import { TASK_TYPE } from './producer.ts';

const [port, count] = process.argv.slice(2).map(Number) as [number, number];
/** Connections opened at once, so the server's accept backlog never overflows. */
const OPENING_AT_ONCE = 100;

const workers: Worker[] = [];
let next = 0;
async function opener(): Promise<void> {
  while (next < count) {
    const i = next++;
    const worker = new Worker({ port, concurrency: 1, name: `idle-${process.pid}-${i}` });
    worker.handle(TASK_TYPE, () => null);
    worker.on('worker:error', ({ error, context }) =>
      process.stderr.write(`idle worker ${i}: ${context}: ${error.message}\n`),
    );
    await worker.start();
    workers.push(worker);
  }
}

await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, opener));
process.stdout.write(`ready ${workers.length}\n`);
// The sockets and heartbeat timers keep the process alive until the harness kills it.
