/** Bounded waiting: every wait in the benchmark has a time limit and stops on abort. */
import { setTimeout as delay } from 'node:timers/promises';

/** A wait that ran past its limit. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Why a signal aborted, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Settles like `promise`, or rejects after `ms` (naming `what`) or when `signal` aborts. */
export function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      done();
      reject(new TimeoutError(`${what}: no result within ${formatMs(ms)}`));
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/** Sleeps `ms`; rejects when `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : {});
}

/**
 * Calls `check` every `intervalMs` until it returns a value other than undefined; rejects
 * after `timeoutMs` or on abort. For the few things the server offers no event for.
 */
export async function poll<T>(
  check: () => Promise<T | undefined>,
  opts: { intervalMs: number; timeoutMs: number; what: string; signal: AbortSignal },
): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const value = await within(check(), opts.timeoutMs, opts.what, opts.signal);
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new TimeoutError(`${opts.what}: not reached within ${formatMs(opts.timeoutMs)}`);
    }
    await sleep(opts.intervalMs, opts.signal);
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}
