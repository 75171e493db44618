/**
 * How a run knows its tasks are done.
 *
 * The server counts, for each worker connection, the completions it has committed (the
 * `workers` method's `done`). A run polls that sum every 10 ms until it reaches its target,
 * which places the end within 10 ms on runs that last seconds, and then checks the counts
 * in the SQLite file once the server stopped (verify.ts).
 *
 * With several servers on one PostgreSQL database, each server lists only the workers
 * connected to it, and each worker is connected to one server: the run polls every server
 * (one connection each, at once) and adds their sums.
 *
 * Rejected alternatives: `wait` on the last id returns while other workers may still hold
 * earlier tasks; `wait` on every id (pipelined) is exact, but makes the server keep one
 * waiter per task and push every finished task back to the bench process, work that is
 * not part of draining a queue and that no peer does: measured on drain-w4 (100,000 tasks,
 * 2 cores), it cut the rate from 15,000–27,000 to about 10,000 tasks/s.
 */
import type { Client } from '../../src/client/index.ts';
import { sleep, TimeoutError, within } from '../lib/wait.ts';

const POLL_MS = 10;
/** A single poll or top-up that takes longer than this means the server is stuck. */
const CALL_TIMEOUT_MS = 60_000;

/** Completions the server(s) committed for their connected workers, summed. */
export async function completedCount(clients: Client | readonly Client[]): Promise<number> {
  const list = Array.isArray(clients) ? (clients as readonly Client[]) : [clients as Client];
  const each = await Promise.all(
    list.map(async (client) => (await client.workers()).reduce((sum, w) => sum + w.done, 0)),
  );
  return each.reduce((a, b) => a + b, 0);
}

export interface CompletionWatch {
  signal: AbortSignal;
  timeoutMs: number;
  /** Called with each new count (for the progress line). */
  onCount?: (count: number) => void;
  /** Called after each poll, e.g. to top up a queue; may submit. */
  afterPoll?: (count: number) => Promise<void>;
}

/** Polls until at least `target` completions; resolves with the count and when it was seen. */
export async function waitCompleted(
  clients: Client | readonly Client[],
  target: number,
  watch: CompletionWatch,
): Promise<{ count: number; at: number }> {
  const deadline = performance.now() + watch.timeoutMs;
  let last = -1;
  for (;;) {
    const count = await within(completedCount(clients), CALL_TIMEOUT_MS, 'workers', watch.signal);
    const at = performance.now();
    if (count !== last) watch.onCount?.(count);
    last = count;
    if (count >= target) return { count, at };
    if (at > deadline) {
      throw new TimeoutError(
        `${count} of ${target} tasks done after ${Math.round(watch.timeoutMs / 1000)} s`,
      );
    }
    if (watch.afterPoll) {
      await within(watch.afterPoll(count), CALL_TIMEOUT_MS, 'top-up', watch.signal);
    }
    await sleep(POLL_MS, watch.signal);
  }
}
