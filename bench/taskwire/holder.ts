/**
 * A placeholder worker: the server refuses a task type that no executor or connected worker
 * runs, so runs that only queue tasks (submit) connect this one. It says `worker.hello` for
 * the no-op type with a concurrency of 1, holds the one task it is given, and pings to stay
 * connected.
 */
import { type Client, connect } from '../../src/client/index.ts';
import type { RunScope } from '../lib/scope.ts';
import { TASK_TYPE } from './producer.ts';

/** Connects the placeholder; the run's scope disconnects it. */
export async function holdTaskType(scope: RunScope, port: number): Promise<Client> {
  const client = await connect({ port, reconnect: false });
  let timer: NodeJS.Timeout | undefined;
  scope.defer(() => {
    clearInterval(timer);
    return client.close();
  });
  const hello = await client.call('worker.hello', {
    name: 'bench-placeholder',
    types: [TASK_TYPE],
    concurrency: 1,
  });
  timer = setInterval(() => client.ping().catch(() => undefined), hello.heartbeatMs);
  return client;
}
