/**
 * The parent side of the worker processes (protocol in worker-io.ts): spawn them through
 * tsx, wait until they are connected, tell them to go, follow their counts, and stop them
 * (stop on stdin, then SIGKILL after a bound).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { abortError, bounded, PeerRunError, sleep, Tail, track } from './util.ts';

/** tsx's loader, resolved from this file as the root project resolves it. */
const TSX = import.meta.resolve('tsx');

export interface WorkerFinal {
  done: number;
  /** process.hrtime (ns) of its last task done, null if it did none. */
  last: bigint | null;
}

export class WorkerProc {
  readonly child: ChildProcess;
  /** Tasks done as last reported. */
  done = 0;
  /** Resolves once the worker is connected and waiting for go. */
  readonly ready: Promise<void>;
  /** Rejects if the worker exits before it was asked to stop. */
  readonly failure: Promise<never>;
  onProgress: (() => void) | undefined;
  private final: WorkerFinal | null = null;
  private stopRequested = false;
  private readonly exited: Promise<void>;
  private readonly stderr = new Tail();

  get pid(): number {
    const { pid } = this.child;
    if (pid === undefined) throw new PeerRunError(`${this.name} has no process`);
    return pid;
  }

  constructor(
    readonly name: string,
    script: string,
    config: object,
  ) {
    this.child = spawn(process.execPath, ['--import', TSX, script, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(this.child);
    this.child.stdin!.on('error', () => {}); // EPIPE if it died: reported through failure
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.push(d));
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let msg: { t?: string; done?: number; last?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return; // not ours (e.g. a library's warning)
      }
      if (msg.t === 'ready') markReady();
      else if (msg.t === 'n' || msg.t === 'final') {
        this.done = Math.max(this.done, msg.done ?? 0);
        if (msg.t === 'final') {
          const last = msg.last ? BigInt(msg.last) : 0n;
          this.final = { done: msg.done ?? 0, last: last > 0n ? last : null };
        }
        this.onProgress?.();
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.once('error', () => resolve());
    });
    this.failure = new Promise<never>((_, reject) => {
      const failed = (how: string) => {
        if (!this.stopRequested) {
          reject(
            new PeerRunError(`${this.name} ${how}: ${this.stderr.toString() || '(no output)'}`),
          );
        }
      };
      this.child.once('exit', (code, sig) =>
        failed(sig ? `killed by ${sig}` : `exited with status ${code}`),
      );
      this.child.once('error', (err) => failed(`could not run: ${err.message}`));
    });
    this.failure.catch(() => {});
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  /** Asks the worker to stop; returns its final report (null if it gave none in time). */
  async stop(): Promise<WorkerFinal | null> {
    this.stopRequested = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end('stop\n');
      await Promise.race([this.exited, sleep(5000)]);
      this.kill();
      await Promise.race([this.exited, sleep(2000)]);
    }
    return this.final;
  }

  kill(): void {
    this.stopRequested = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function workerScript(file: string): string {
  return fileURLToPath(new URL(file, import.meta.url));
}

/** Spawns `count` workers and waits until all are connected. */
export async function startWorkers(
  count: number,
  make: (i: number) => WorkerProc,
  signal: AbortSignal,
  onStarted: (w: WorkerProc) => void,
): Promise<WorkerProc[]> {
  const workers: WorkerProc[] = [];
  for (let i = 0; i < count; i++) {
    const w = make(i);
    onStarted(w);
    workers.push(w);
  }
  const failures = Promise.race(workers.map((w) => w.failure));
  await bounded(
    Promise.race([Promise.all(workers.map((w) => w.ready)), failures]),
    30_000 + 5_000 * count,
    `waiting for ${count} worker process(es) to connect`,
    signal,
  );
  return workers;
}

export interface AwaitDoneOptions {
  signal: AbortSignal;
  /** Fail if the count has not moved for this long. */
  stallMs: number;
  /** Fail after this long in any case. */
  totalMs: number;
  what: string;
  /** Other ways the wait fails (e.g. the server exits). */
  failures?: Promise<never>[];
  onProgress?: (done: number) => void;
}

/** Resolves when the workers' counts add up to `total`; rejects on stall, timeout, abort, failure. */
export function awaitDone(workers: WorkerProc[], total: number, opts: AwaitDoneOptions) {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    let lastMove = started;
    let seen = -1;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      opts.signal.removeEventListener('abort', onAbort);
      for (const w of workers) w.onProgress = undefined;
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      const done = workers.reduce((sum, w) => sum + w.done, 0);
      if (done !== seen) {
        seen = done;
        lastMove = Date.now();
        opts.onProgress?.(done);
      }
      if (done >= total) finish();
    };
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - lastMove > opts.stallMs) {
        finish(
          new PeerRunError(
            `${opts.what}: stalled at ${seen}/${total} tasks for ${opts.stallMs / 1000} s`,
          ),
        );
      } else if (now - started > opts.totalMs) {
        finish(
          new PeerRunError(`${opts.what}: ${seen}/${total} tasks after ${opts.totalMs / 1000} s`),
        );
      }
    }, 250);
    const onAbort = () => finish(abortError(opts.signal, opts.what));
    if (opts.signal.aborted) {
      onAbort();
      return;
    }
    opts.signal.addEventListener('abort', onAbort, { once: true });
    for (const w of workers) w.onProgress = check;
    for (const failure of [...workers.map((w) => w.failure), ...(opts.failures ?? [])]) {
      failure.catch((err: Error) => finish(err));
    }
    check();
  });
}
