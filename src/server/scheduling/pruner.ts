/**
 * Retention in the background: every `intervalMs` a sweep deletes the finished tasks older
 * than their retention (store.prune), in small batches, yielding to the event loop between
 * batches. A batch is one store transaction: on SQLite a synchronous call on the store's one
 * connection, so it runs between two commits, never inside one, and each batch is kept to a
 * few milliseconds (its size halves when one takes longer); on PostgreSQL one server prunes
 * at a time (the store's advisory lock), and a sweep that finds another pruning stops.
 */
import {
  keepsAll,
  type PruneCursor,
  type PrunedTask,
  passLengths,
  type RetentionPolicy,
} from '../../store/retention.ts';
import { KEY_HOLD_MS, type Store } from '../../store/types.ts';

/** How often a sweep runs by default: a task is gone about this long after its retention. */
export const PRUNE_INTERVAL_MS = 1000;
/** Tasks a batch reads at first and at most; it shrinks to PRUNE_BATCH_MIN when batches are slow. */
export const PRUNE_BATCH = 500;
const PRUNE_BATCH_MIN = 50;
/**
 * How often the passes start again from the oldest finished task instead of their cursors.
 * A batch passes over a task it may not delete yet (a unique key still held, a tally not
 * finished) and, on PostgreSQL, over a row another transaction holds locked at that moment
 * (SKIP LOCKED): the cursor is past them, and only a pass from the start finds them again.
 */
export const PRUNE_RESCAN_MS = 10 * 60_000;
/** A batch that takes longer than this halves the next one; one under a quarter of it doubles it. */
const BATCH_TARGET_MS = 5;

/**
 * The policy of the server's options: `retentionMs` for done and canceled tasks,
 * `retentionFailedMs` for failed ones; 0 (like null) keeps them forever.
 */
export function retentionPolicy(
  retentionMs: number | null,
  retentionFailedMs: number | null,
): RetentionPolicy {
  const keepFor = (ms: number | null): number | null => (ms === 0 ? null : ms);
  return {
    done: keepFor(retentionMs),
    canceled: keepFor(retentionMs),
    failed: keepFor(retentionFailedMs),
  };
}

export interface PrunerOptions {
  policy: RetentionPolicy;
  now: () => number;
  intervalMs?: number;
  batch?: number;
  /** How often the passes read from the start again (default PRUNE_RESCAN_MS). */
  rescanMs?: number;
  /** A batch deleted these tasks and tallies (for the metrics' counts and the logs). */
  onPruned: (tasks: PrunedTask[], tallies: number[]) => void;
  onError: (error: unknown) => void;
}

export class Pruner {
  /** Where each pass stopped, by its length: the next sweep reads on from there. */
  private readonly cursors = new Map<number, PruneCursor | undefined>();
  private readonly lengths: number[];
  private readonly maxBatch: number;
  private batch: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  /** When the passes last started from the oldest finished task (undefined: not yet). */
  private rescannedAt: number | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: PrunerOptions,
  ) {
    this.lengths = passLengths(opts.policy, KEY_HOLD_MS);
    this.maxBatch = opts.batch ?? PRUNE_BATCH;
    this.batch = this.maxBatch;
  }

  /** Whether the policy prunes anything at all. */
  get active(): boolean {
    return !keepsAll(this.opts.policy);
  }

  /** Sweeps every interval from now on (nothing when the policy keeps everything). */
  start(): void {
    if (!this.active || this.stopped) return;
    this.schedule();
  }

  /** Stops sweeping; resolves once a batch under way is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** Runs one sweep now (or waits for the one under way). */
  sweep(): Promise<void> {
    this.sweeping ??= this.run().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.sweep()
        .catch((error: unknown) => this.opts.onError(error))
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, this.opts.intervalMs ?? PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Each pass, shortest retention first, batch by batch until it has read up to its limit. */
  private async run(): Promise<void> {
    const { policy, now } = this.opts;
    const sweptAt = now();
    if (
      this.rescannedAt === undefined ||
      sweptAt - this.rescannedAt >= (this.opts.rescanMs ?? PRUNE_RESCAN_MS)
    ) {
      this.cursors.clear();
      this.rescannedAt = sweptAt;
    }
    for (const length of this.lengths) {
      for (;;) {
        if (this.stopped) return;
        const at = now();
        const started = performance.now();
        const out = await this.store.prune({
          now: at,
          policy,
          keyHoldMs: KEY_HOLD_MS,
          before: at - length,
          after: this.cursors.get(length),
          limit: this.batch,
        });
        if (out.busy) return; // another server is pruning this database
        this.adapt(performance.now() - started);
        this.cursors.set(length, out.cursor);
        if (out.tasks.length > 0 || out.tallies.length > 0) {
          this.opts.onPruned(out.tasks, out.tallies);
        }
        if (!out.more) break;
        // Let the task port and the commits run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Keeps a batch near BATCH_TARGET_MS. */
  private adapt(ms: number): void {
    if (ms > BATCH_TARGET_MS) this.batch = Math.max(PRUNE_BATCH_MIN, Math.floor(this.batch / 2));
    else if (ms < BATCH_TARGET_MS / 4) this.batch = Math.min(this.maxBatch, this.batch * 2);
  }
}
