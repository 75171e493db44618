/**
 * Gathers the `submit` calls made in one microtask into one `submitMany` request: one line,
 * one dispatch and one commit on the server for the lot, instead of one per task. Each
 * caller still gets its own id or its own error: when the server refuses the whole batch
 * (a bad task in it, the store unavailable), nothing of it was committed, so each task is
 * sent again on its own to learn its own answer. A lost connection rejects them all, as it
 * would have rejected each single submit (the tasks may or may not have been accepted).
 */
import type { TaskSpec } from '../protocol/tasks.ts';
import { RpcError } from './errors.ts';

/** At most this many tasks per request (the server accepts up to 100,000). */
const MAX_TASKS = 1000;
/** And at most about this many bytes, well under the server's default 1 MiB line cap. */
const MAX_BYTES = 256 * 1024;
/** Larger or structured data goes on its own: measuring it would cost a serialization. */
const MAX_BATCHED_STRING = 4096;

/** A submit's answer: the task's id, and whether its key was held by that task already. */
export interface SubmitResult {
  id: string;
  duplicate: boolean;
}

interface Pending {
  spec: TaskSpec;
  resolve: (id: string, duplicate: boolean) => void;
  reject: (error: Error) => void;
}

export interface SubmitSender {
  one(spec: TaskSpec): Promise<{ id: string; duplicate?: boolean }>;
  many(specs: TaskSpec[]): Promise<{ ids: string[]; duplicate?: boolean[] }>;
}

/** A worst-case size of the task on the wire, or undefined when it is not batched. */
function batchedSize(spec: TaskSpec): number | undefined {
  const { data } = spec;
  // UTF-8 takes at most 3 bytes per UTF-16 unit; JSON escapes at most 6 (\uXXXX).
  // The options: at most a key's 6 bytes per character and 120 more for the rest.
  const extra = spec.key === undefined ? 0 : 120 + 6 * spec.key.length;
  if (typeof data === 'string') {
    return data.length <= MAX_BATCHED_STRING
      ? 100 + extra + spec.type.length + 6 * data.length
      : undefined;
  }
  if (data === null || typeof data === 'number' || typeof data === 'boolean') {
    return 100 + extra + spec.type.length;
  }
  return undefined;
}

export class SubmitBatcher {
  private pending: Pending[] = [];
  private bytes = 0;

  constructor(private readonly send: SubmitSender) {}

  /** Submits a task; `resolve` gets its id and whether it was a duplicate. */
  submit(spec: TaskSpec, resolve: Pending['resolve'], reject: Pending['reject']): void {
    const size = batchedSize(spec);
    if (size === undefined) {
      this.one({ spec, resolve, reject });
      return;
    }
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    this.pending.push({ spec, resolve, reject });
    this.bytes += size;
    if (this.pending.length >= MAX_TASKS || this.bytes >= MAX_BYTES) this.flush();
  }

  private one(p: Pending): void {
    this.send.one(p.spec).then((r) => p.resolve(r.id, r.duplicate === true), p.reject);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.bytes = 0;
    if (batch.length === 0) return;
    if (batch.length === 1) {
      this.one(batch[0]!);
      return;
    }
    this.send.many(batch.map((p) => p.spec)).then(
      ({ ids, duplicate }) => {
        batch.forEach((p, i) => {
          p.resolve(ids[i]!, duplicate?.[i] === true);
        });
      },
      (error: Error) => {
        if (!(error instanceof RpcError)) {
          for (const p of batch) p.reject(error);
          return;
        }
        // Refused whole, so nothing was committed: each task alone gets its own answer.
        for (const p of batch) this.one(p);
      },
    );
  }
}
