/**
 * The clients of the `clients` measurement, in a process of their own so that they do not
 * share the bench process's event loop: `node --import tsx clients-child.ts PORT CLIENTS
 * TASKS`. Opens every connection at once; each submits its tasks and waits for their
 * results. Prints one JSON line: {elapsedMs, errors, messages}.
 */
import { type Client, connect } from '../../src/client/index.ts';
import { payload, TASK_TYPE } from './producer.ts';

const [port, clients, perClient] = process.argv.slice(2).map(Number) as [number, number, number];

let errors = 0;
const messages = new Set<string>();
function failed(count: number, error: unknown): void {
  errors += count;
  if (messages.size < 5) messages.add(error instanceof Error ? error.message : String(error));
}

async function oneClient(c: number): Promise<Client | undefined> {
  let client: Client;
  try {
    client = await connect({ port, reconnect: false, connectTimeoutMs: 60_000 });
  } catch (error) {
    failed(perClient, error);
    return undefined;
  }
  const ids = await Promise.allSettled(
    Array.from({ length: perClient }, (_, k) =>
      client.submit(TASK_TYPE, payload(c * perClient + k)),
    ),
  );
  const waits = await Promise.allSettled(
    ids.map((r) => (r.status === 'fulfilled' ? client.wait(r.value) : Promise.reject(r.reason))),
  );
  for (const w of waits) {
    if (w.status === 'rejected') failed(1, w.reason);
    else if (w.value.status !== 'done') failed(1, `task ${w.value.id} ended ${w.value.status}`);
  }
  return client;
}

const started = performance.now();
const opened = await Promise.all(Array.from({ length: clients }, (_, c) => oneClient(c)));
const elapsedMs = performance.now() - started;
await Promise.all(opened.map((client) => client?.close()));
process.stdout.write(`${JSON.stringify({ elapsedMs, errors, messages: [...messages] })}\n`);
