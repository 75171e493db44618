/**
 * Small helpers the peer workloads share: bounded waits, cleanup in reverse order, and a
 * registry of the child processes and temporary directories still alive, so that nothing
 * started here outlives the benchmark process.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A run failed: the harness records the message. */
export class PeerRunError extends Error {
  override name = 'PeerRunError';
}

/** Nanoseconds on CLOCK_MONOTONIC: the same clock in every process of this machine. */
export function hrnow(): bigint {
  return process.hrtime.bigint();
}

/** Seconds between two hrnow() readings. */
export function seconds(from: bigint, to: bigint): number {
  return Number(to - from) / 1e9;
}

/** Waits for `promise` at most `ms` (and until `signal` aborts); a late rejection is ignored. */
export function bounded<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  promise.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, what));
      return;
    }
    const timer = setTimeout(() => {
      done();
      reject(new PeerRunError(`${what}: no answer after ${(ms / 1000).toFixed(1)} s`));
    }, ms);
    const onAbort = () => {
      done();
      reject(abortError(signal!, what));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    promise.then(
      (v) => {
        done();
        resolve(v);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}

export function abortError(signal: AbortSignal, what: string): Error {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new PeerRunError(`${what}: aborted${reason}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Cleanup steps run in reverse order of registration, each bounded, errors ignored. */
export class Cleanup {
  private readonly steps: { what: string; fn: () => Promise<void> | void }[] = [];

  add(what: string, fn: () => Promise<void> | void): void {
    this.steps.push({ what, fn });
  }

  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await bounded(Promise.resolve().then(step.fn), 15_000, `cleanup: ${step.what}`);
      } catch {
        // best effort: the registry below still kills whatever is left at exit
      }
    }
  }
}

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Remembers a child process until it exits; it is SIGKILLed if this process exits first. */
export function track(child: ChildProcess): void {
  installExitHook();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Remembers a temporary directory until untrackDir; it is removed if this process exits. */
export function trackDir(dir: string): void {
  installExitHook();
  liveDirs.add(dir);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
}

/** Keeps the last `max` characters written to it (a child's output, for error messages). */
export class Tail {
  private text = '';
  constructor(private readonly max = 4000) {}

  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.max * 2) this.text = this.text.slice(-this.max);
  }

  toString(): string {
    return this.text.slice(-this.max).trim();
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
