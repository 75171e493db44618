/**
 * Workloads 1–4 for a peer system, written once against a small adapter (PeerSystem) that
 * beanstalkd.ts and bullmq.ts implement. Every run starts a fresh server, stops everything it
 * started (also on abort or error), and bounds every wait by a timeout derived from its size.
 *
 * What is timed (all clocks are process.hrtime, CLOCK_MONOTONIC, shared by all processes):
 *  - submit: first batch written → last batch acknowledged (one connection, batches of 1,000).
 *  - drain-wN: tasks queued first and N workers started and connected (untimed); then
 *            `go` to all workers → the last task done as timestamped by the worker doing it.
 *  - steady: workers connected and consuming an empty queue; first submit → last task done
 *            as timestamped by its worker, while the producer submits in batches of 1,000.
 *  - latency: per sample, submit → the client sees the result (details in the notes).
 *  - latency-long (default tier): the same after LONG_RUN_WARMUP round trips instead of 200,
 *    as taskwire's latency-long rows (its worker and producer are Node processes too).
 */
import { DB_WORK_NOTE, type DbWorkMeter, meterDbWork } from '../lib/db-work.ts';
import { cpuPerTask, meterCpu } from '../lib/procfs.ts';
import type { RunContext, Sample, System, Tier, Workload } from '../lib/types.ts';
import type { PeerServer } from './servers.ts';
import { bounded, Cleanup, fmt, hrnow, PeerRunError, percentile, seconds, sleep } from './util.ts';
import { awaitDone, startWorkers, type WorkerProc } from './workers.ts';

/** 16 bytes, the no-op task's payload (as JSON data for BullMQ, as the job body for beanstalkd). */
export const PAYLOAD = '{"p":"abcdefgh"}';
export const BATCH = 1000;

/** The workloads' last id segment; drain-wN for N worker processes. */
export type Kind = 'submit' | 'drain-w1' | 'drain-w4' | 'steady' | 'latency' | 'latency-long';

export interface Producer {
  /** Submits `count` no-op tasks as one pipelined batch; resolves when all are acknowledged. */
  submitBatch(count: number): Promise<void>;
  /** Latency only: whatever waiting for a result needs, set up once. */
  prepareRoundTrip(): Promise<void>;
  /** Submits one task, waits until its result is seen, and returns hrnow() at that moment. */
  roundTrip(): Promise<bigint>;
  close(): Promise<void>;
}

export interface PeerSystem {
  system: Exclude<System, 'taskwire'>;
  /** The PostgreSQL peers: their results sit beside taskwire's on PostgreSQL. */
  store?: 'postgres';
  /** The workloads it runs (default all). */
  kinds?: readonly Kind[];
  /** A fresh server (or, for the PostgreSQL peers, a fresh database) for one run. */
  startServer(tier: Tier, signal: AbortSignal): Promise<PeerServer>;
  /** A worker process; latency: the latency workload's one idle worker. */
  worker(server: PeerServer, index: number, latency: boolean, maxMs: number): WorkerProc;
  producer(server: PeerServer): Promise<Producer>;
  /**
   * Checks in the store, once the workers stopped, that the run's tasks all ended as
   * expected: `done` tasks completed, or (submit) `queued` tasks waiting; throws otherwise.
   */
  verify?(server: PeerServer, expected: { done: number } | { queued: number }): Promise<void>;
  /** What the system does per task (the report prints each distinct note once). */
  note(kind: Kind, tier: Tier): string;
  /**
   * A system whose round trip is bound by a polling interval (pg-boss: 0.5 s at least) takes
   * fewer latency samples, so that a run stays within minutes: these counts then, and the
   * round trip it expects, for the run's time bound.
   */
  slowLatency?: { warmup: number; samples: number; expectedMs: number };
}

/** Every workload, in the order they run. */
const KINDS: readonly Kind[] = [
  'submit',
  'drain-w1',
  'drain-w4',
  'steady',
  'latency',
  'latency-long',
];

/** Round trips before the samples of latency-long (quick: a fifth), as taskwire's rows. */
const LONG_RUN_WARMUP = 5000;

export interface Sizes {
  tasks: number;
  latencySamples: number;
  latencyWarmup: number;
}

export function sizes(quick: boolean): Sizes {
  return quick
    ? { tasks: 10_000, latencySamples: 300, latencyWarmup: 50 }
    : { tasks: 100_000, latencySamples: 2_000, latencyWarmup: 200 };
}

/** Bounds for a phase of `tasks` tasks: at least 200 tasks/s, and never 30 s without progress. */
function limits(tasks: number) {
  return { totalMs: 60_000 + tasks * 5, stallMs: 30_000 };
}

const BATCH_TIMEOUT_MS = 60_000;
const ROUND_TRIP_TIMEOUT_MS = 10_000;

type Measure = (peer: PeerSystem, tier: Tier, size: Sizes, r: Run) => Promise<Sample[]>;

export function peerSystemWorkloads(peer: PeerSystem, tier: Tier, quick: boolean): Workload[] {
  const size = sizes(quick);
  const pg = peer.store === 'postgres';
  const make = (kind: Kind, measures: string[], measure: Measure): Workload => {
    const id = `${peer.system}/${tier}/${kind}${pg ? '@pg' : ''}`;
    const dbNote = pg && (kind === 'steady' || kind.startsWith('drain'));
    return {
      id,
      system: peer.system,
      tier,
      ...(pg ? { store: 'postgres' as const } : {}),
      note: dbNote ? `${peer.note(kind, tier)}; ${DB_WORK_NOTE}` : peer.note(kind, tier),
      measures: dbNote ? [...measures, ...dbMeasures(kind)] : measures,
      run: async (ctx) => {
        const r = new Run(id, ctx);
        try {
          return await measure(peer, tier, size, r);
        } finally {
          ctx.progress(`${id}: cleaning up`);
          await r.cleanup.run();
        }
      },
    };
  };
  const all: Record<Kind, () => Workload> = {
    submit: () => make('submit', ['submit'], runSubmit),
    'drain-w1': () => make('drain-w1', drainMeasures(1), (...a) => runDrain(1, ...a)),
    'drain-w4': () => make('drain-w4', drainMeasures(4), (...a) => runDrain(4, ...a)),
    steady: () => make('steady', ['steady'], runSteady),
    latency: () => make('latency', ['latency-p50', 'latency-p99'], runLatency),
    'latency-long': () =>
      make('latency-long', ['latency-long-p50', 'latency-long-p99'], (p, t, s, r) =>
        runLatency(
          p,
          t,
          { ...s, latencyWarmup: quick ? LONG_RUN_WARMUP / 5 : LONG_RUN_WARMUP },
          r,
          'latency-long',
        ),
      ),
  };
  return KINDS.filter((k) => (peer.kinds ?? KINDS).includes(k))
    .filter((k) => k !== 'latency-long' || tier === 'default')
    .map((k) => all[k]());
}

function dbMeasures(name: string): string[] {
  return ['xacts', 'rows', 'wal'].map((m) => `${name}-db-${m}`);
}

/** The rate, and the CPU per task of the server and of the worker processes. */
function drainMeasures(workers: number): string[] {
  const name = `drain-w${workers}`;
  return [name, `${name}-cpu-server`, `${name}-cpu-workers`];
}

/** One run's context: its cleanup steps, the ways it can fail early, its progress line. */
class Run {
  readonly cleanup = new Cleanup();
  /** Reject when the server or a worker process exits before it is stopped. */
  readonly failures: Promise<never>[] = [];

  constructor(
    readonly id: string,
    readonly ctx: RunContext,
  ) {}

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  progress(text: string): void {
    this.ctx.progress(`${this.id}: ${text}`);
  }

  /** Waits for `promise` at most `ms`, failing early on abort or if the server or a worker dies. */
  async guard<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    try {
      return await bounded(Promise.race([promise, ...this.failures]), ms, what, this.signal);
    } catch (err) {
      if (err instanceof PeerRunError) throw err;
      throw new PeerRunError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async server(peer: PeerSystem, tier: Tier): Promise<PeerServer> {
    this.progress('starting the server');
    const server = await peer.startServer(tier, this.signal);
    this.cleanup.add(`stop ${server.label}`, () => server.stop());
    this.failures.push(server.failure);
    return server;
  }

  async producer(peer: PeerSystem, server: PeerServer): Promise<Producer> {
    const producer = await this.guard(peer.producer(server), 15_000, 'connecting the client');
    this.cleanup.add('close the client', () => producer.close());
    return producer;
  }

  async workers(
    peer: PeerSystem,
    server: PeerServer,
    count: number,
    latency: boolean,
    maxMs: number,
  ) {
    this.progress(`starting ${count} worker process(es)`);
    return startWorkers(
      count,
      (i) => peer.worker(server, i, latency, maxMs),
      this.signal,
      (w) => {
        this.cleanup.add(`stop ${w.name}`, () => w.stop().then(() => {}));
        this.failures.push(w.failure);
      },
    );
  }

  /** The PostgreSQL peers: the database counters before a window (undefined for the others). */
  async dbMeter(server: PeerServer): Promise<DbWorkMeter | undefined> {
    if (!server.db) return undefined;
    this.progress('reading the database counters');
    return meterDbWork(server.db, this.signal);
  }

  /** The window's `-db-` samples, read once every process that worked in the database stopped. */
  async dbSamples(meter: DbWorkMeter | undefined, name: string, tasks: number): Promise<Sample[]> {
    if (!meter) return [];
    const { samples, line } = await meter.finish(name, tasks, this.signal);
    this.ctx.log?.(line);
    return samples;
  }

  /** Submits `tasks` in batches of BATCH, one batch in flight at a time. */
  async submit(producer: Producer, tasks: number, label: string): Promise<void> {
    for (let sent = 0; sent < tasks; ) {
      const n = Math.min(BATCH, tasks - sent);
      await this.guard(producer.submitBatch(n), BATCH_TIMEOUT_MS, label);
      sent += n;
      if (sent % (BATCH * 10) === 0 || sent === tasks) {
        this.progress(`${label} ${fmt(sent)}/${fmt(tasks)}`);
      }
    }
  }
}

/** tasks / (from → the latest last-task-done timestamp of the workers). */
async function stopAndRate(workers: WorkerProc[], tasks: number, from: bigint): Promise<number> {
  const finals = await Promise.all(workers.map((w) => w.stop()));
  let last = 0n;
  let done = 0;
  for (const [i, f] of finals.entries()) {
    if (!f) throw new PeerRunError(`${workers[i]!.name} gave no final report`);
    done += f.done;
    if (f.last !== null && f.last > last) last = f.last;
  }
  if (done < tasks || last <= from) {
    throw new PeerRunError(`workers report ${done}/${tasks} tasks done`);
  }
  return tasks / seconds(from, last);
}

function workerLifetime(tasks: number): number {
  const { totalMs } = limits(tasks);
  return totalMs + 120_000;
}

async function runSubmit(peer: PeerSystem, tier: Tier, size: Sizes, r: Run): Promise<Sample[]> {
  const server = await r.server(peer, tier);
  const producer = await r.producer(peer, server);
  const t0 = hrnow();
  await r.guard(r.submit(producer, size.tasks, 'submitted'), limits(size.tasks).totalMs, 'submit');
  const rate = size.tasks / seconds(t0, hrnow());
  await producer.close();
  await peer.verify?.(server, { queued: size.tasks });
  return [{ name: 'submit', unit: 'tasks/s', value: rate, higherIsBetter: true }];
}

async function runDrain(
  count: number,
  peer: PeerSystem,
  tier: Tier,
  size: Sizes,
  r: Run,
): Promise<Sample[]> {
  const name = `drain-w${count}`;
  const server = await r.server(peer, tier);
  const producer = await r.producer(peer, server);
  // The database work counts each task whole, from before it is queued (as steady does).
  const db = await r.dbMeter(server);
  await r.guard(r.submit(producer, size.tasks, 'queued'), limits(size.tasks).totalMs, 'queueing');
  await producer.close();
  const workers = await r.workers(peer, server, count, false, workerLifetime(size.tasks));
  r.progress('running');
  const serverCpu = server.pid === null ? null : await meterCpu([server.pid]);
  const workersCpu = await meterCpu(workers.map((w) => w.pid));
  const t0 = hrnow();
  for (const worker of workers) worker.go();
  await awaitDone(workers, size.tasks, {
    signal: r.signal,
    failures: r.failures,
    ...limits(size.tasks),
    what: name,
    onProgress: (done) => r.progress(`${fmt(done)}/${fmt(size.tasks)} done`),
  });
  const [serverSeconds, workersSeconds] = await Promise.all([serverCpu?.read(), workersCpu.read()]);
  const rate = await stopAndRate(workers, size.tasks, t0);
  await peer.verify?.(server, { done: size.tasks });
  return [
    { name, unit: 'tasks/s', value: rate, higherIsBetter: true },
    ...(serverSeconds === undefined
      ? []
      : [cpuPerTask(`${name}-cpu-server`, serverSeconds, size.tasks)]),
    cpuPerTask(`${name}-cpu-workers`, workersSeconds, size.tasks),
    ...(await r.dbSamples(db, name, size.tasks)),
  ];
}

async function runSteady(peer: PeerSystem, tier: Tier, size: Sizes, r: Run): Promise<Sample[]> {
  const server = await r.server(peer, tier);
  const workers = await r.workers(peer, server, 4, false, workerLifetime(size.tasks));
  const producer = await r.producer(peer, server);
  const db = await r.dbMeter(server);
  for (const worker of workers) worker.go();
  // Lets the workers' first (blocking) fetch reach the server before the clock starts.
  await sleep(200);
  const local = new AbortController();
  const t0 = hrnow();
  try {
    await Promise.all([
      r.guard(
        r.submit(producer, size.tasks, 'submitted'),
        limits(size.tasks).totalMs,
        'submitting',
      ),
      awaitDone(workers, size.tasks, {
        signal: AbortSignal.any([r.signal, local.signal]),
        failures: r.failures,
        ...limits(size.tasks),
        what: 'steady',
        onProgress: (done) => r.progress(`${fmt(done)}/${fmt(size.tasks)} done`),
      }),
    ]);
  } finally {
    local.abort();
  }
  const rate = await stopAndRate(workers, size.tasks, t0);
  await producer.close();
  await peer.verify?.(server, { done: size.tasks });
  return [
    { name: 'steady', unit: 'tasks/s', value: rate, higherIsBetter: true },
    ...(await r.dbSamples(db, 'steady', size.tasks)),
  ];
}

async function runLatency(
  peer: PeerSystem,
  tier: Tier,
  size: Sizes,
  r: Run,
  name = 'latency',
): Promise<Sample[]> {
  const server = await r.server(peer, tier);
  const slow = peer.slowLatency;
  // A slow system's counts are for a full run; a quick run takes as large a share of them.
  const share = size.latencySamples / sizes(false).latencySamples;
  const warmup = slow && name === 'latency' ? Math.ceil(slow.warmup * share) : size.latencyWarmup;
  const samples = slow ? Math.ceil(slow.samples * share) : size.latencySamples;
  const total = warmup + samples;
  // At least 50 round trips a second overall (a third of the expected rate for a slow
  // system), and none longer than ROUND_TRIP_TIMEOUT_MS.
  const loopMs = 60_000 + total * Math.max(20, 3 * (slow?.expectedMs ?? 0));
  const [worker] = await r.workers(peer, server, 1, true, loopMs + 120_000);
  worker!.go();
  const producer = await r.producer(peer, server);
  await r.guard(producer.prepareRoundTrip(), 15_000, 'setting up');
  const micros: number[] = [];
  const deadline = Date.now() + loopMs;
  for (let i = 0; i < total; i++) {
    if (Date.now() > deadline) {
      throw new PeerRunError(`latency: only ${i}/${total} round trips in ${loopMs / 1000} s`);
    }
    const t0 = hrnow();
    const t1 = await r.guard(producer.roundTrip(), ROUND_TRIP_TIMEOUT_MS, `round trip ${i + 1}`);
    if (i >= warmup) micros.push(Number(t1 - t0) / 1000);
    if ((i + 1) % (slow ? 10 : 100) === 0) {
      r.progress(
        i < warmup ? `warm-up ${i + 1}/${warmup}` : `${i + 1 - warmup}/${samples} samples`,
      );
    }
  }
  micros.sort((a, b) => a - b);
  if (peer.verify) {
    await worker!.stop();
    await producer.close();
    await peer.verify(server, { done: total });
  }
  return [
    { name: `${name}-p50`, unit: 'µs', value: percentile(micros, 50), higherIsBetter: false },
    { name: `${name}-p99`, unit: 'µs', value: percentile(micros, 99), higherIsBetter: false },
  ];
}
