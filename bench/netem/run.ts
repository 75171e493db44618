/**
 * `npm run bench -- --netem 0,1,5 [--servers 1,2,3] [--netem-via relay]`: steady and
 * latency for each server count with PostgreSQL behind each round-trip delay.
 *
 * The bench makes two network namespaces joined by a veth pair (netns.ts), starts a
 * throwaway PostgreSQL in one (pg-instance.ts), and for each delay sets it (tc netem, or a
 * relay: relay.ts), probes the round trip, and runs this same bench inside the other
 * namespace, as a child process (`ip netns exec twbench-app node … bench/main.ts --store
 * postgres://…@10.231.0.2 …`), whose JSON results it collects. Everything is removed at the
 * end, on failure, on Ctrl-C and from an exit hook; a crashed run's leftovers (by their
 * fixed prefix) at the start of the next.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../lib/machine.ts';
import { type Proc, spawnProc } from '../lib/processes.ts';
import { within } from '../lib/wait.ts';
import type { DelayVia } from './args.ts';
import { APP_NS, checkCapabilities, removeAll, setNetemDelay, setUp, teardown } from './netns.ts';
import {
  checkPgInstance,
  type PgInstance,
  removeStaleDirs,
  startPgInstance,
} from './pg-instance.ts';
import { type DelayRun, formatNetemReport } from './report.ts';

export interface NetemOptions {
  delays: number[];
  via: DelayVia;
  servers: number[];
  runs: number;
  quick: boolean;
  json?: string;
  log(line: string): void;
  signal: AbortSignal;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const RELAY = fileURLToPath(new URL('./relay.ts', import.meta.url));
const PROBE = fileURLToPath(new URL('./rtt-probe.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const LOCK = '/run/twbench-netem.pid';
const RELAY_PORT = 15432;
/** One child bench (3 server counts × steady and latency × runs) at most this long. */
const CHILD_TIMEOUT_MS = 90 * 60_000;

/** Refuses a second `--netem` run at once: the namespaces have fixed names. */
function takeLock(): void {
  if (existsSync(LOCK)) {
    const pid = Number(readFileSync(LOCK, 'utf8').trim());
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      // stale
    }
    if (alive) throw new Error(`another --netem run (PID ${pid}) is in progress (${LOCK})`);
  }
  writeFileSync(LOCK, `${process.pid}\n`);
}

function releaseLock(): void {
  try {
    if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) rmSync(LOCK);
  } catch {
    // not ours, or gone
  }
}

/** Says what is missing; undefined when the mode can run. */
function preflight(via: DelayVia): string | undefined {
  const caps = checkCapabilities();
  const lines = [...caps.problems, ...checkPgInstance()];
  if (lines.length > 0) return lines.map((l) => `bench: --netem: ${l}`).join('\n');
  if (via === 'netem' && caps.netemMissing) {
    return (
      `bench: --netem: ${caps.netemMissing}.\n` +
      'bench: --netem-via relay runs the same measurements with the delay added by a userspace ' +
      'TCP relay inside the namespace instead (less faithful: docs/benchmarks.md)'
    );
  }
  return undefined;
}

function execNs(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', APP_NS, ...args],
      { timeout: timeoutMs },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

async function startRelay(targetUrl: string, delayMs: number, signal: AbortSignal): Promise<Proc> {
  const target = new URL(targetUrl);
  const config = {
    listenPort: RELAY_PORT,
    targetHost: target.hostname,
    targetPort: Number(target.port),
    delayMs,
    maxMs: CHILD_TIMEOUT_MS + 10 * 60_000,
  };
  const proc = spawnProc(
    'ip',
    ['netns', 'exec', APP_NS, process.execPath, '--import', TSX, RELAY, JSON.stringify(config)],
    {
      name: 'relay',
      cwd: REPO,
    },
  );
  await proc.waitForLine('stdout', /^listening$/, 30_000, signal);
  return proc;
}

async function childBench(
  url: string,
  opts: NetemOptions,
  delayMs: number,
): Promise<Pick<DelayRun, 'results' | 'failures'>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'twbench-results-'));
  const json = path.join(dir, 'results.json');
  try {
    const args = [
      ...['netns', 'exec', APP_NS, process.execPath, '--import', TSX, MAIN],
      ...['--store', url, '--servers', opts.servers.join(','), '--latency-servers'],
      ...[
        '--only',
        'taskwire/default/steady,taskwire/default/latency@',
        '--runs',
        String(opts.runs),
      ],
      ...(opts.quick ? ['--quick'] : []),
      ...['--json', json],
    ];
    const child = spawnProc('ip', args, { name: `bench at ${delayMs} ms`, cwd: REPO });
    child.onLine('stderr', (line) => {
      if (!line.includes(' · ')) opts.log(`  [${delayMs} ms] ${line}`);
    });
    const stop = () => child.kill('SIGTERM');
    opts.signal.addEventListener('abort', stop, { once: true });
    try {
      const exit = await within(child.exited, CHILD_TIMEOUT_MS, `the bench at ${delayMs} ms`);
      if (exit.code !== 0 && !existsSync(json)) throw new Error(child.describeExit(exit));
      const out = JSON.parse(await readFile(json, 'utf8')) as Pick<
        DelayRun,
        'results' | 'failures'
      >;
      // A failed run gave no figure: the report lists it under the table.
      return { results: out.results, failures: out.failures };
    } finally {
      opts.signal.removeEventListener('abort', stop);
      child.kill('SIGKILL');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureDelay(
  pgi: PgInstance,
  delayMs: number,
  opts: NetemOptions,
): Promise<DelayRun> {
  let relay: Proc | undefined;
  let url = pgi.url;
  if (opts.via === 'netem') setNetemDelay(delayMs);
  else {
    relay = await startRelay(pgi.url, delayMs, opts.signal);
    url = `postgres://postgres@127.0.0.1:${RELAY_PORT}/postgres`;
  }
  try {
    const rtt = JSON.parse(
      await execNs([process.execPath, '--import', TSX, PROBE, url], 60_000),
    ) as DelayRun['rtt'];
    opts.log(
      `bench: --netem ${delayMs} ms: SELECT 1 round trip ${Math.round(rtt.medianUs)} µs (median)`,
    );
    return { delayMs, rtt, ...(await childBench(url, opts, delayMs)) };
  } finally {
    if (relay) await relay.stop(5000);
  }
}

function cleanUpAll(pgDir?: string): void {
  teardown();
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  releaseLock();
}

export async function runNetem(opts: NetemOptions): Promise<number> {
  const problem = preflight(opts.via);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return 2;
  }
  takeLock();
  const stale = removeAll();
  removeStaleDirs();
  if (stale.length > 0)
    opts.log(`bench: --netem: removed a previous run's namespaces: ${stale.join(', ')}`);
  let pgi: PgInstance | undefined;
  const onExit = () => cleanUpAll(pgi?.socketDir);
  process.on('exit', onExit);
  const runs: DelayRun[] = [];
  try {
    setUp();
    pgi = await startPgInstance(opts.signal);
    opts.log(
      `bench: --netem: PostgreSQL ${pgi.version} in its own namespace at ${pgi.url}; delay by ${opts.via}`,
    );
    for (const delay of opts.delays) {
      if (opts.signal.aborted) break;
      runs.push(await measureDelay(pgi, delay, opts));
    }
  } finally {
    await pgi?.stop().catch(() => undefined);
    cleanUpAll(pgi?.socketDir);
    process.off('exit', onExit);
  }
  if (opts.signal.aborted) return 130;
  process.stdout.write(`\n${formatNetemReport(runs, opts.via)}\n`);
  if (opts.json) {
    const out = {
      machine: machineInfo(),
      quick: opts.quick,
      runsPerMeasurement: opts.runs,
      netem: { via: opts.via, delays: runs },
    };
    await writeFile(opts.json, `${JSON.stringify(out, null, 2)}\n`);
    opts.log(`wrote ${opts.json}`);
  }
  return runs.some((r) => r.failures.length > 0) ? 1 : 0;
}
