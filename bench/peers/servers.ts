/**
 * Starts the peer servers (beanstalkd with its binlog, Redis with its append-only file) on a
 * free port of 127.0.0.1 with a fresh temporary data directory, waits until they answer, and
 * stops them by PID (SIGTERM, then SIGKILL) before removing their data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DbTarget } from '../lib/db-work.ts';
import type { Tier } from '../lib/types.ts';
import { abortError, PeerRunError, sleep, Tail, track, trackDir, untrackDir } from './util.ts';

export interface PeerServer {
  /** e.g. "beanstalkd -b DIR -f 0". */
  label: string;
  /** The server's port on 127.0.0.1 (0 for the PostgreSQL peers: see `db`). */
  port: number;
  /** The server process, whose CPU drain meters; null when it is not one process of ours. */
  pid: number | null;
  /** The PostgreSQL peers: the run's fresh database (its URL, name and admin URL). */
  db?: DbTarget;
  /** Rejects if the server exits before stop() was called. */
  failure: Promise<never>;
  /** Stops the server by PID and removes its data; safe to call twice. */
  stop(): Promise<void>;
}

/** Finds an executable on PATH (or /usr/sbin, where some distributions put servers). */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** A port the OS reports free right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** beanstalkd with its binlog in a temporary directory; fsync tier: `-f 0` (fsync every write). */
export function startBeanstalkd(tier: Tier, signal: AbortSignal): Promise<PeerServer> {
  return startServer({
    name: 'beanstalkd',
    install: 'apt-get install beanstalkd',
    args: (port, dir) => [
      '-l',
      '127.0.0.1',
      '-p',
      String(port),
      '-b',
      dir,
      ...(tier === 'fsync' ? ['-f', '0'] : []),
    ],
    label: tier === 'fsync' ? 'beanstalkd -b DIR -f 0' : 'beanstalkd -b DIR',
    probe: 'list-tubes\r\n',
    expect: 'OK ',
    signal,
  });
}

/** redis-server with AOF only (no RDB snapshots); fsync tier: `appendfsync always`. */
export function startRedis(tier: Tier, signal: AbortSignal): Promise<PeerServer> {
  const fsync = tier === 'fsync' ? 'always' : 'everysec';
  return startServer({
    name: 'redis-server',
    install: 'apt-get install redis-server',
    args: (port, dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      fsync,
      '--save',
      '',
    ],
    label: `redis-server --appendonly yes --appendfsync ${fsync}`,
    probe: 'PING\r\n',
    expect: '+PONG',
    signal,
  });
}

interface ServerSpec {
  name: string;
  install: string;
  args(port: number, dir: string): string[];
  label: string;
  /** Bytes sent once connected; the server is up when its answer contains `expect`. */
  probe: string;
  expect: string;
  signal: AbortSignal;
}

const START_TIMEOUT_MS = 15_000;

async function startServer(spec: ServerSpec): Promise<PeerServer> {
  const bin = findBinary(spec.name);
  if (!bin) throw new PeerRunError(`${spec.name} not found: ${spec.install}`);
  let lastError: Error | null = null;
  // The port may be taken between freePort() and the server's bind: then try another one.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (spec.signal.aborted) throw abortError(spec.signal, `starting ${spec.name}`);
    const port = await freePort();
    const dir = await mkdtemp(path.join(tmpdir(), `taskwire-bench-${spec.name}-`));
    trackDir(dir);
    const child = spawn(bin, spec.args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const output = new Tail();
    child.stdout!.on('data', (d: Buffer) => output.push(d));
    child.stderr!.on('data', (d: Buffer) => output.push(d));
    const exited = exitOf(child);
    let stopRequested = false;
    const stopNow = stopper(child, exited, dir);
    const stop = () => {
      stopRequested = true;
      return stopNow();
    };
    const failure = new Promise<never>((_, reject) => {
      void exited.then((how) => {
        if (!stopRequested)
          reject(new PeerRunError(`${spec.name} ${how} during the run: ${output}`));
      });
    });
    failure.catch(() => {});
    try {
      await waitAnswering(port, spec, child, exited, output);
      return { label: spec.label, port, pid: child.pid!, failure, stop };
    } catch (err) {
      await stop();
      lastError = err as Error;
      if (!/in use|bind/i.test(output.toString())) throw err;
    }
  }
  throw lastError ?? new PeerRunError(`${spec.name} did not start`);
}

function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once('error', (err) => resolve(`failed to run: ${err.message}`));
    child.once('exit', (code, sig) => resolve(sig ? `killed by ${sig}` : `exited with ${code}`));
  });
}

function stopper(child: ChildProcess, exited: Promise<string>, dir: string): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () => {
    stopping ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGTERM');
        const timedOut = Symbol();
        const r = await Promise.race([exited, sleep(5000).then(() => timedOut)]);
        if (r === timedOut && child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid, 'SIGKILL');
          await Promise.race([exited, sleep(2000)]);
        }
      }
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    })();
    return stopping;
  };
}

async function waitAnswering(
  port: number,
  spec: ServerSpec,
  child: ChildProcess,
  exited: Promise<string>,
  output: Tail,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitedHow: string | null = null;
  exited.then((how) => {
    exitedHow = how;
  });
  for (;;) {
    if (exitedHow !== null || child.exitCode !== null) {
      throw new PeerRunError(
        `${spec.name} ${exitedHow ?? 'exited'} before answering on port ${port}: ${output}`,
      );
    }
    if (spec.signal.aborted) throw abortError(spec.signal, `starting ${spec.name}`);
    if (await probeOnce(port, spec.probe, spec.expect)) return;
    if (Date.now() > deadline) {
      throw new PeerRunError(
        `${spec.name} did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s: ${output}`,
      );
    }
    await sleep(50);
  }
}

/** Connects, sends the probe, and resolves true if the answer contains `expect` within 1 s. */
async function probeOnce(port: number, probe: string, expect: string): Promise<boolean> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const timer = setTimeout(() => socket.destroy(), 1000);
  let answer = '';
  socket.on('data', (d: Buffer) => {
    answer += d.toString('latin1');
    if (answer.includes(expect)) socket.end();
  });
  socket.once('connect', () => socket.write(probe));
  socket.on('error', () => {});
  await once(socket, 'close').catch(() => {});
  clearTimeout(timer);
  return answer.includes(expect);
}
