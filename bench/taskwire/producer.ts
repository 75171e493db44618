/** Producing no-op tasks from the bench process through the client library. */
import type { Client } from '../../src/client/index.ts';
import type { TaskSpec } from '../../src/protocol/tasks.ts';
import { abortReason } from '../lib/wait.ts';

/** The task type of every throughput run: the server's built-in no-op. */
export const TASK_TYPE = 'noop';

/** Requests a producer keeps in flight. */
export const SUBMIT_WINDOW = 1000;

/** The 16-byte payload of task `i`: its number, zero-padded. */
export function payload(i: number): string {
  return String(i).padStart(16, '0');
}

/** `count` task specs, numbered from `from`. */
export function noopTasks(count: number, from = 0): TaskSpec[] {
  return Array.from({ length: count }, (_, k) => ({ type: TASK_TYPE, data: payload(from + k) }));
}

/**
 * Submits `count` tasks one `submit` request each, with up to SUBMIT_WINDOW in flight: the
 * way the client library batches (it writes the requests of one microtask in one write;
 * the server commits those of one event-loop turn in one transaction). Resolves once every
 * task is acknowledged, that is committed. With several clients (one per server), task i
 * goes to client i mod N: round-robin, the window shared by all.
 */
export async function submitPipelined(
  clients: Client | readonly Client[],
  count: number,
  signal: AbortSignal,
  onProgress?: (acked: number) => void,
): Promise<void> {
  const list = Array.isArray(clients) ? (clients as readonly Client[]) : [clients as Client];
  if (list.length === 0) throw new Error('submitPipelined: no client');
  let next = 0;
  let acked = 0;
  const lane = async () => {
    while (next < count) {
      if (signal.aborted) throw abortReason(signal);
      const i = next++;
      await list[i % list.length]!.submit(TASK_TYPE, payload(i));
      acked += 1;
      if (acked % 5000 === 0) onProgress?.(acked);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SUBMIT_WINDOW, count) }, lane));
}
