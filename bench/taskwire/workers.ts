/** Remote worker processes: `node dist/cli/main.js worker` with the simulated delays off. */
import type { Proc } from '../lib/processes.ts';
import type { RunScope } from '../lib/scope.ts';
import { workerArgsFor } from './secure.ts';
import { CLI, CPU_PROF_ENV, nodeArgs, spawnNode } from './server.ts';

/** Tasks each worker process runs at once in the throughput runs (drain, steady, backlog). */
export const WORKER_CONCURRENCY = 128;

const REGISTER_TIMEOUT_MS = 60_000;

export interface WorkerSpec {
  count: number;
  concurrency: number;
  types: readonly string[];
}

/**
 * Spawns the workers and resolves once the server registered every one of them (each
 * prints "connected as ID" when its `worker.hello` is answered). With several servers
 * (`ports`), worker i (from 0) connects to server i mod N.
 */
export async function startWorkers(
  scope: RunScope,
  ports: number | readonly number[],
  spec: WorkerSpec,
): Promise<Proc[]> {
  const list = typeof ports === 'number' ? [ports] : ports;
  if (list.length === 0) throw new Error('startWorkers: no server port');
  const workers: Proc[] = [];
  for (let i = 1; i <= spec.count; i++) {
    const port = list[(i - 1) % list.length]!;
    const args = [
      ...nodeArgs(),
      CLI,
      'worker',
      '-P',
      String(port),
      '--delay-scale',
      '0',
      '--concurrency',
      String(spec.concurrency),
      '--types',
      spec.types.join(','),
      '--name',
      `bench-${i}`,
      ...workerArgsFor(port),
    ];
    workers.push(spawnNode(scope, args, `worker ${i} (:${port})`));
  }
  await Promise.all(
    workers.map((w) =>
      w.waitForLine('stderr', /^connected as /, REGISTER_TIMEOUT_MS, scope.signal),
    ),
  );
  return workers;
}

/**
 * Kills the workers (by PID) and waits for them to exit. When profiling (`--cpu-prof`), they
 * get SIGTERM instead and stop gracefully, so that V8 writes their profiles.
 */
export async function killWorkers(workers: readonly Proc[]): Promise<void> {
  const signal = process.env[CPU_PROF_ENV] ? 'SIGTERM' : 'SIGKILL';
  for (const w of workers) w.kill(signal);
  await Promise.all(workers.map((w) => w.exited));
}
