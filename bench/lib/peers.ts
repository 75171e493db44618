/**
 * `--peers`: the beanstalkd and BullMQ workloads from bench/peers/index.ts, loaded at run
 * time so the harness works before (or without) them. Installs the peers' npm dependencies
 * into bench/node_modules first when they are missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnProc } from './processes.ts';
import type { System, Workload } from './types.ts';
import { within } from './wait.ts';

/** What bench/peers/index.ts exports. */
interface PeersModule {
  peerWorkloads(opts: { quick: boolean }): Workload[];
  /** One line per peer that cannot run here (e.g. its server is not installed). */
  missingPeers(): string[] | Promise<string[]>;
}

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
const PEERS_INDEX = new URL('../peers/index.ts', import.meta.url);
const INSTALL_TIMEOUT_MS = 10 * 60_000;

async function installPeerDependencies(
  log: (line: string) => void,
  signal: AbortSignal,
  what = 'bullmq',
) {
  const args = ['install', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'];
  log(`bench/node_modules/${what} is missing: running npm ${args.join(' ')}`);
  const npm = spawnProc('npm', args, { name: 'npm install' });
  const stop = () => npm.kill('SIGTERM');
  signal.addEventListener('abort', stop, { once: true });
  try {
    const exit = await within(npm.exited, INSTALL_TIMEOUT_MS, 'npm install', signal);
    if (exit.code !== 0) throw new Error(npm.describeExit(exit));
  } finally {
    signal.removeEventListener('abort', stop);
    npm.kill('SIGKILL');
  }
}

/** Peers a line of missingPeers() is about, e.g. "redis-server not found" → bullmq. */
function systemsNamed(line: string): System[] {
  const about: Record<'beanstalkd' | 'bullmq', RegExp> = {
    beanstalkd: /\bbeanstalk/i,
    bullmq: /\bbullmq\b|\bredis/i,
  };
  return (['beanstalkd', 'bullmq'] as const).filter((s) => about[s].test(line));
}

/** The peers' workloads that can run here; prints why the others are skipped. */
export async function loadPeerWorkloads(
  quick: boolean,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<Workload[]> {
  if (!existsSync(new URL('../node_modules/bullmq/package.json', import.meta.url))) {
    await installPeerDependencies(log, signal);
  }
  if (!existsSync(PEERS_INDEX)) {
    log('bench/peers/index.ts does not exist yet: no peer figures');
    return [];
  }
  // A computed specifier: the type checker does not require the module to exist.
  const href: string = PEERS_INDEX.href;
  const peers = (await import(href)) as Partial<PeersModule>;
  if (typeof peers.peerWorkloads !== 'function' || typeof peers.missingPeers !== 'function') {
    throw new Error('bench/peers/index.ts must export peerWorkloads() and missingPeers()');
  }
  const skipped = new Set<System>();
  for (const line of await peers.missingPeers()) {
    log(line);
    for (const system of systemsNamed(line)) skipped.add(system);
  }
  return peers.peerWorkloads({ quick }).filter((w) => !skipped.has(w.system));
}

/** What bench/peers/pg/index.ts exports. */
interface PgPeersModule {
  pgPeerWorkloads(opts: { quick: boolean; adminUrl: string }): Workload[];
  missingPgPeers(): string[];
}

const PG_PACKAGES = ['graphile-worker', 'pg-boss'];

/** `--peers-pg`: graphile-worker's and pg-boss's workloads on the PostgreSQL at `adminUrl`. */
export async function loadPgPeerWorkloads(
  quick: boolean,
  adminUrl: string,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<Workload[]> {
  const missing = PG_PACKAGES.filter(
    (name) => !existsSync(new URL(`../node_modules/${name}/package.json`, import.meta.url)),
  );
  if (missing.length > 0) await installPeerDependencies(log, signal, missing.join(', '));
  const href: string = new URL('../peers/pg/index.ts', import.meta.url).href;
  const peers = (await import(href)) as PgPeersModule;
  const lines = peers.missingPgPeers();
  for (const line of lines) log(line);
  const skipped = new Set(PG_PACKAGES.filter((name) => lines.some((l) => l.startsWith(name))));
  return peers.pgPeerWorkloads({ quick, adminUrl }).filter((w) => !skipped.has(w.system));
}
