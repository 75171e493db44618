/**
 * A taskwire server for one run: the built CLI (`node dist/cli/main.js server`) on a free
 * port of 127.0.0.1 with the run's store (store.ts: its SQLite file in the run's temp
 * folder, or its PostgreSQL database, which several servers may share). It counts as
 * started once it answers a `ping` (connection retried every 10 ms, bounded), never after
 * a sleep.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Client, connect } from '../../src/client/index.ts';
import { freePort } from '../lib/ports.ts';
import type { Proc } from '../lib/processes.ts';
import type { RunScope } from '../lib/scope.ts';
import { sleep, TimeoutError } from '../lib/wait.ts';
import { clientOptionsFor, registerSecure, type Secure } from './secure.ts';
import { type RunStore, storeArgs } from './store.ts';

/** The built command line; `npm run bench` builds it first. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 60_000;

export interface ServerSpec {
  /** Where the server keeps its tasks (store.ts `newRunStore`, or `sqliteStore(dir)`). */
  store: RunStore;
  fsync?: boolean;
  /** Run the built-in executor (default false: `--no-local`, every task to remote workers). */
  local?: boolean;
  /** More server options, e.g. `['--concurrency', '64', '--delay-scale', '0']`. */
  args?: readonly string[];
  /** Open files the server needs (sockets); its limit is raised when the current one is lower. */
  files?: number;
  /** Reuse this port (a restart); a free one otherwise. */
  port?: number;
  /** The auth+tls variant: its flags, and its clients' and workers' settings (secure.ts). */
  secure?: Secure;
}

export interface ServerHandle {
  proc: Proc;
  port: number;
  store: RunStore;
  /** From spawn to the first answered ping, ms. */
  startMs: number;
}

/** Fails early with a clear message when dist/ is missing. */
export function checkBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

let softFileLimit: number | undefined;

/** `ulimit -n` of the processes this one spawns. */
function fileLimit(): number {
  if (softFileLimit === undefined) {
    const out = execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    softFileLimit = out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  }
  return softFileLimit;
}

/**
 * Spawns `node ARGS`, through `bash -c 'ulimit -n N; exec node …'` when the open-file limit
 * is below `files` (exec keeps the PID, so the tracked PID is node's).
 */
export function spawnNode(scope: RunScope, args: readonly string[], name: string, files = 0): Proc {
  if (files + 100 <= fileLimit()) return scope.spawn(process.execPath, args, { name });
  const limit = files + 1000;
  return scope.spawn(
    'bash',
    ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, ...args],
    { name },
  );
}

/** Waits until the server on `port` answers a ping; fails when `proc` exits first. */
export async function waitServing(port: number, proc: Proc, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw new Error(proc.describeExit(await proc.exited));
    try {
      const client = await connect({
        port,
        reconnect: false,
        connectTimeoutMs: 5000,
        ...clientOptionsFor(port),
      });
      try {
        await client.ping();
        return;
      } finally {
        await client.close();
      }
    } catch (error) {
      if (performance.now() > deadline) {
        throw new TimeoutError(`${proc.name} did not answer a ping within 120 s: ${error}`);
      }
    }
    await sleep(10, signal);
  }
}

/** Set by `--cpu-prof DIR`: servers run with `node --cpu-prof` and write their profile there. */
export const CPU_PROF_ENV = 'TASKWIRE_BENCH_CPU_PROF';

/** Node flags for the servers and workers this bench spawns, e.g. `--cpu-prof` or V8's. */
export function nodeArgs(): string[] {
  const profileDir = process.env[CPU_PROF_ENV];
  return [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(process.env.TASKWIRE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ];
}

/** Starts a server and resolves once it answers a ping. */
export async function startServer(scope: RunScope, spec: ServerSpec): Promise<ServerHandle> {
  const port = spec.port ?? (await freePort());
  const args = [
    ...nodeArgs(),
    CLI,
    'server',
    '-P',
    String(port),
    ...storeArgs(spec.store),
    ...(spec.fsync ? ['--fsync'] : []),
    ...(spec.local ? [] : ['--no-local']),
    ...(spec.args ?? []),
    ...(spec.secure?.serverArgs ?? []),
    // Extra server flags for a whole run, e.g. TASKWIRE_BENCH_SERVER_ARGS='--http 127.0.0.1:0'
    // to measure what the metrics cost per task.
    ...(process.env.TASKWIRE_BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? []),
  ];
  if (spec.secure) registerSecure(scope, port, spec.secure);
  const started = performance.now();
  const proc = spawnNode(scope, args, `server :${port}`, spec.files);
  await waitServing(port, proc, scope.signal);
  return { proc, port, store: spec.store, startMs: performance.now() - started };
}

/**
 * Starts `count` servers on the same store (PostgreSQL only for more than one): the first
 * alone, so that it creates the tables, then the others at once.
 */
export async function startServers(
  scope: RunScope,
  spec: ServerSpec,
  count: number,
): Promise<ServerHandle[]> {
  if (count > 1 && spec.store.kind !== 'postgres') {
    throw new Error('several servers need a shared store: --store postgres://…');
  }
  const first = await startServer(scope, spec);
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => startServer(scope, spec)));
  return [first, ...rest];
}

/** One client connection to each port, in order; the run's scope closes them. */
export async function connectEach(scope: RunScope, ports: readonly number[]): Promise<Client[]> {
  const clients: Client[] = [];
  scope.defer(() => Promise.all(clients.map((c) => c.close())));
  for (const port of ports) {
    clients.push(await connect({ port, reconnect: false, ...clientOptionsFor(port) }));
  }
  return clients;
}

/** Stops the server gracefully (SIGTERM) and checks it exited cleanly. */
export async function stopServer(server: ServerHandle): Promise<void> {
  const exit = await server.proc.stop(STOP_GRACE_MS);
  if (exit.code !== 0) throw new Error(server.proc.describeExit(exit));
}

/** Stops the servers at once; fails if any did not exit cleanly. */
export async function stopServers(servers: readonly ServerHandle[]): Promise<void> {
  const results = await Promise.allSettled(servers.map(stopServer));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'servers did not stop cleanly');
}
