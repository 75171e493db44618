/**
 * `npm run bench [-- --quick] [--runs N] [--json FILE] [--only NAME,...] [--peers]
 * [--store postgres://…] [--servers 1,2,3] [--peers-pg]`: runs each measurement on a fresh server, N
 * times, and prints the median with the min–max spread. Every load goes to 127.0.0.1, is
 * bounded in count and time, and stops by itself; Ctrl-C stops the run in progress and
 * cleans it up (a second Ctrl-C exits at once).
 *
 * `--store postgres://user@host:port/db` runs taskwire's workloads on PostgreSQL: each run
 * gets a fresh database on that server (created and dropped through the URL's database).
 * `--servers` (PostgreSQL only) runs drain-w4 and steady with that many servers sharing the
 * database, once per count in the list. `--peers-pg` (PostgreSQL only) runs submit,
 * drain-w4, steady and latency against graphile-worker and pg-boss on the same server, each
 * run in a fresh database. `--netem 0,1,5` (root) runs steady and latency for each
 * `--servers` count (default 1,2,3) with a throwaway PostgreSQL behind each round-trip
 * delay, in network namespaces of its own (bench/netem/run.ts).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { machineInfo } from './lib/machine.ts';
import { loadPeerWorkloads, loadPgPeerWorkloads } from './lib/peers.ts';
import { ProgressLine } from './lib/progress.ts';
import { formatReport } from './lib/report.ts';
import { summarize } from './lib/results.ts';
import { runWorkloads } from './lib/runner.ts';
import { selectWorkloads } from './lib/select.ts';
import type { Workload } from './lib/types.ts';
import { type DelayVia, parseDelays, parseVia } from './netem/args.ts';
import { runNetem } from './netem/run.ts';
import { taskwireWorkloads } from './taskwire/index.ts';
import { CPU_PROF_ENV, checkBuilt } from './taskwire/server.ts';
import { type BenchStore, checkPostgres, isPostgresUrl, redactUrl } from './taskwire/store.ts';

interface Flags {
  quick: boolean;
  runs: number;
  json?: string;
  only: string[];
  peers: boolean;
  peersPg: boolean;
  list: boolean;
  store: string;
  servers?: number[];
  latencyServers: boolean;
  netem?: number[];
  netemVia: DelayVia;
}

/** Servers sharing one database at most: one per worker of drain-w4 and steady. */
const MAX_SERVERS = 4;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer ≥ 1.');
  return n;
}

function serverCounts(value: string): number[] {
  const counts = names(value).map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_SERVERS)) {
    throw new InvalidArgumentError(`expected server counts 1–${MAX_SERVERS}, e.g. 1,2,3.`);
  }
  return [...new Set(counts)];
}

function storeOption(value: string): string {
  if (value === 'sqlite' || isPostgresUrl(value)) return value;
  throw new InvalidArgumentError('expected sqlite or postgres://user@host:port/database.');
}

/** A parser's error as commander's, so that it prints as a usage error. */
function wrap<T>(parse: (value: string) => T, value: string): T {
  try {
    return parse(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function names(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Aborts on the first SIGINT/SIGTERM; exits at once on the second. */
function interruptions(progress: ProgressLine): AbortController {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // the exit hook kills the children
    progress.log(`${signal}: stopping the run in progress and cleaning up (again to exit now)`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

async function bench(flags: Flags): Promise<number> {
  checkBuilt();
  const store: BenchStore = isPostgresUrl(flags.store)
    ? { kind: 'postgres', adminUrl: flags.store }
    : { kind: 'sqlite' };
  if (flags.netem) {
    if (store.kind === 'postgres' || flags.peers || flags.peersPg) {
      process.stderr.write(
        'bench: --netem runs its own PostgreSQL inside a network namespace, and taskwire only: ' +
          'leave out --store, --peers and --peers-pg\n',
      );
      return 2;
    }
    const progress = new ProgressLine();
    const { signal } = interruptions(progress);
    return runNetem({
      delays: flags.netem,
      via: flags.netemVia,
      servers: flags.servers ?? [1, 2, 3],
      runs: flags.runs,
      quick: flags.quick,
      ...(flags.json ? { json: flags.json } : {}),
      log: (line) => progress.log(line),
      signal,
    });
  }
  const servers = flags.servers ?? [1];
  if (store.kind !== 'postgres' && flags.servers !== undefined) {
    process.stderr.write(
      'bench: --servers needs --store postgres://…: the servers share a PostgreSQL database ' +
        '(a SQLite file belongs to one server)\n',
    );
    return 2;
  }
  if (store.kind !== 'postgres' && flags.peersPg) {
    process.stderr.write(
      'bench: --peers-pg needs --store postgres://…: graphile-worker and pg-boss run on that server\n',
    );
    return 2;
  }
  const progress = new ProgressLine();
  const log = (line: string) => progress.log(line);
  const { signal } = interruptions(progress);
  const taskwire = taskwireWorkloads({ store, servers, latencyServers: flags.latencyServers });
  const workloads: Workload[] = [...taskwire.workloads];
  if (flags.peers) workloads.push(...(await loadPeerWorkloads(flags.quick, log, signal)));
  if (flags.peersPg && store.kind === 'postgres') {
    workloads.push(...(await loadPgPeerWorkloads(flags.quick, store.adminUrl, log, signal)));
  }
  const selected = selectWorkloads(workloads, flags.only);
  const skipped = taskwire.skipped.filter((s) => selectWorkloads([s.workload], flags.only).length);
  if (flags.list) {
    for (const w of selected) process.stdout.write(`${w.id}\t${(w.measures ?? []).join(', ')}\n`);
    for (const s of skipped) process.stdout.write(`${s.workload.id}\tskipped: ${s.why}\n`);
    return 0;
  }
  const reasons = [...new Set(skipped.map((s) => s.why))];
  for (const why of reasons) {
    const ids = skipped.filter((s) => s.why === why).map((s) => s.workload.id);
    log(`skipped on PostgreSQL: ${ids.join(', ')}: ${why}`);
  }
  if (selected.length === 0) {
    log(
      `--only ${flags.only.join(',')} picks nothing; workloads: ${workloads.map((w) => w.id).join(', ')}`,
    );
    return 2;
  }
  if (store.kind === 'postgres') {
    const version = await checkPostgres(store.adminUrl);
    log(
      `bench: taskwire on PostgreSQL ${version} at ${redactUrl(store.adminUrl)} (a fresh database per run), servers ${servers.join(',')}`,
    );
  }
  log(
    `bench: ${selected.length} workload(s) × ${flags.runs} run(s)${flags.quick ? ', quick sizes' : ''}`,
  );
  const outcome = await runWorkloads(selected, {
    runs: flags.runs,
    quick: flags.quick,
    signal,
    progress,
    runTimeoutMs: (flags.quick ? 10 : 30) * 60_000,
  });
  progress.stop();
  const results = summarize(outcome.runs);
  process.stdout.write(`\n${formatReport(results, selected, outcome.failures)}\n`);
  if (flags.json) {
    const out = {
      machine: machineInfo(),
      quick: flags.quick,
      runsPerMeasurement: flags.runs,
      store: store.kind,
      servers,
      results,
      failures: outcome.failures,
    };
    await writeFile(flags.json, `${JSON.stringify(out, null, 2)}\n`);
    log(`wrote ${flags.json}`);
  }
  if (signal.aborted) return 130;
  return outcome.failures.length > 0 ? 1 : 0;
}

const program = new Command('bench')
  .description('measure taskwire (and, with --peers, beanstalkd and BullMQ) on 127.0.0.1')
  .option('--quick', 'a smoke run of a few minutes with smaller counts', false)
  .option('--runs <n>', 'runs of each measurement; the median is reported', positiveInt, 3)
  .option('--json <file>', 'also write the results as JSON to FILE')
  .option('--only <names>', 'measurement names or workload id prefixes, comma-separated', names, [])
  .option('--peers', 'also measure the peers (bench/peers): beanstalkd, BullMQ', false)
  .option(
    '--peers-pg',
    'also measure the PostgreSQL peers (bench/peers/pg), graphile-worker and pg-boss, on the --store server',
    false,
  )
  .option('--list', 'list the workloads that would run, and exit', false)
  .option(
    '--store <url>',
    'where taskwire keeps its tasks: sqlite (a file per run), or postgres://user@host:port/db ' +
      '(a fresh database per run on that server, created and dropped through db)',
    storeOption,
    'sqlite',
  )
  .option(
    '--servers <n,...>',
    `taskwire servers sharing the database in drain-w4 and steady, one run per count (1–${MAX_SERVERS}; PostgreSQL only)`,
    serverCounts,
  )
  .option(
    '--latency-servers',
    'run latency (remote worker) once per --servers count too: the client on the first server, the worker on the last',
    false,
  )
  .option(
    '--netem <ms,...>',
    'steady and latency with PostgreSQL behind each round-trip delay (ms), in network namespaces the bench makes (root; --servers, default 1,2,3)',
    (v: string) => wrap(parseDelays, v),
  )
  .option(
    '--netem-via <how>',
    'netem (tc qdisc netem on the veth pair) or relay (a userspace TCP relay, where the kernel has no netem)',
    (v: string) => wrap(parseVia, v),
    'netem',
  )
  .option(
    '--cpu-prof <dir>',
    'write a V8 CPU profile of every taskwire server and worker process into DIR (summarise with bench/profile.ts)',
  )
  .action(async (flags: Flags & { cpuProf?: string }) => {
    if (flags.cpuProf) process.env[CPU_PROF_ENV] = path.resolve(flags.cpuProf);
    process.exitCode = await bench(flags);
  });

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
process.exit();
