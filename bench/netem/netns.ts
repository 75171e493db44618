/**
 * The network `--netem` makes for itself: two network namespaces, `twbench-app` (the
 * taskwire servers, their workers and the producer) and `twbench-db` (a throwaway
 * PostgreSQL), joined by one veth pair whose addresses (a /30 of 10.231.0.0) exist only
 * inside them; neither namespace has any other interface or route, so nothing in them can
 * reach beyond the pair. The delay: `tc qdisc … netem delay` on each end's egress (half
 * the round trip each), or none (a relay adds it: relay.ts).
 *
 * Everything carries the fixed prefix `twbench-`: a run first removes what a crashed run
 * left (the processes inside the namespaces, by PID, then the namespaces), and removes its
 * own in `teardown()`, also from an exit hook, on failure and on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { netemArgs } from './args.ts';

export const PREFIX = 'twbench-';
export const APP_NS = `${PREFIX}app`;
export const DB_NS = `${PREFIX}db`;
const APP_DEV = 'twb-app0';
const DB_DEV = 'twb-db0';
export const APP_ADDR = '10.231.0.1';
export const DB_ADDR = '10.231.0.2';
const PROBE_NS = `${PREFIX}probe`;

const TIMEOUT_MS = 15_000;

/** Runs a command (ip, tc, …) and returns its stdout; throws with its stderr. */
export function sh(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** `ip netns exec NS COMMAND…` as an argument list. */
export function inNs(ns: string, command: string, args: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', ns, command, ...args]];
}

function namespaces(): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0]!.trim())
    .filter(Boolean);
}

/** Kills (SIGKILL, by PID) every process inside the namespace, then deletes it. */
function removeNamespace(ns: string): void {
  let pids: number[] = [];
  try {
    pids = sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no such namespace any more
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  try {
    sh('ip', ['netns', 'del', ns]);
  } catch {
    // gone already
  }
}

/** Removes every namespace with the prefix (a previous run's, or this one's). */
export function removeAll(): string[] {
  const ours = namespaces().filter((ns) => ns.startsWith(PREFIX));
  for (const ns of ours) removeNamespace(ns);
  return ours;
}

/** What the machine lacks for `--netem`, one line each with how to get it; netem separately. */
export interface Capabilities {
  /** Root, `ip netns`, veth: without them there is no mode at all. */
  problems: string[];
  /** Why the netem qdisc cannot be used here (undefined: it can). */
  netemMissing?: string;
}

const NETEM_HOWTO =
  'load the module with `modprobe sch_netem` (Debian ships it in linux-image-*; some ' +
  'distributions in a kernel-modules-extra package), or build the kernel with ' +
  'CONFIG_NET_SCH_NETEM=m';

function kernelSays(): string {
  try {
    const config = execFileSync('sh', ['-c', 'zcat /proc/config.gz 2>/dev/null'], {
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = config.split('\n').find((l) => l.includes('CONFIG_NET_SCH_NETEM'));
    return line ? ` (/proc/config.gz: ${line.trim()})` : '';
  } catch {
    return '';
  }
}

/** Tries each piece on a throwaway namespace and veth pair (removed again at once). */
export function checkCapabilities(): Capabilities {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) {
    problems.push('not root: ip netns and tc need root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)');
    return { problems };
  }
  try {
    sh('ip', ['-V']);
  } catch {
    problems.push('`ip` not found: apt-get install iproute2');
    return { problems };
  }
  removeNamespace(PROBE_NS);
  let netemMissing: string | undefined;
  try {
    sh('ip', ['netns', 'add', PROBE_NS]);
    sh(
      ...inNs(PROBE_NS, 'ip', ['link', 'add', 'twb-p0', 'type', 'veth', 'peer', 'name', 'twb-p1']),
    );
    try {
      sh(...inNs(PROBE_NS, 'tc', netemArgs('twb-p0', 1)));
    } catch (error) {
      netemMissing = `tc netem does not work here: ${(error as Error).message}${kernelSays()}; to enable it, ${NETEM_HOWTO}`;
    }
  } catch (error) {
    problems.push(
      `cannot make a network namespace with a veth pair: ${(error as Error).message} ` +
        '(needs CONFIG_NET_NS and CONFIG_VETH, and root outside a restricted container)',
    );
  } finally {
    removeNamespace(PROBE_NS);
  }
  return netemMissing ? { problems, netemMissing } : { problems };
}

/** Makes the two namespaces and the pair; lo up in both. */
export function setUp(): void {
  sh('ip', ['netns', 'add', APP_NS]);
  sh('ip', ['netns', 'add', DB_NS]);
  sh(...inNs(APP_NS, 'ip', ['link', 'add', APP_DEV, 'type', 'veth', 'peer', 'name', DB_DEV]));
  sh(...inNs(APP_NS, 'ip', ['link', 'set', DB_DEV, 'netns', DB_NS]));
  for (const [ns, dev, addr] of [
    [APP_NS, APP_DEV, APP_ADDR],
    [DB_NS, DB_DEV, DB_ADDR],
  ] as const) {
    sh(...inNs(ns, 'ip', ['addr', 'add', `${addr}/30`, 'dev', dev]));
    sh(...inNs(ns, 'ip', ['link', 'set', dev, 'up']));
    sh(...inNs(ns, 'ip', ['link', 'set', 'lo', 'up']));
  }
}

/** Sets the round-trip delay between the namespaces with netem (0: no qdisc at all). */
export function setNetemDelay(rttMs: number): void {
  for (const [ns, dev] of [
    [APP_NS, APP_DEV],
    [DB_NS, DB_DEV],
  ] as const) {
    if (rttMs > 0) sh(...inNs(ns, 'tc', netemArgs(dev, rttMs)));
    else {
      try {
        sh(...inNs(ns, 'tc', ['qdisc', 'del', 'dev', dev, 'root']));
      } catch {
        // none was there
      }
    }
  }
}

/** Removes this run's namespaces (and whatever still runs in them). */
export function teardown(): void {
  for (const ns of [APP_NS, DB_NS, PROBE_NS]) removeNamespace(ns);
}
