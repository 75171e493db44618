/**
 * How many tasks of each type are in each status, kept in memory: the server applies what
 * its own commits changed, and reconciles with the store (one GROUP BY, in the background,
 * every `reconcileMs`) for what it cannot see: other servers' changes on a shared store,
 * tally tasks (created outside the committer), and multi-unit tasks, whose status a single
 * report does not tell. A scrape reads memory only, never the tasks table.
 */
import { TASK_STATUSES, type TaskStatus } from '../model/tasks.ts';
import type { Store } from '../store/types.ts';

/**
 * Distinct task types that get a label of their own; the rest fold into `other`, so that
 * a producer inventing types cannot grow the metrics without bound.
 */
export const MAX_TYPE_LABELS = 50;
export const OTHER_TYPE = 'other';

/** The `type` label of a task type: itself, for the first MAX_TYPE_LABELS types seen. */
export class TypeLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_TYPE_LABELS) {}

  of(type: string): string {
    if (this.seen.has(type)) return type;
    if (this.seen.size >= this.max || type === OTHER_TYPE) return OTHER_TYPE;
    this.seen.add(type);
    return type;
  }
}

type Row = Record<TaskStatus, number>;

const emptyRow = (): Row =>
  Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;

/**
 * Tasks a slice of the reconcile counts: a slice is one statement (about 10 ms at this size
 * on SQLite, measured: 1M tasks took 0.4 to 1.2 s in one statement), and the event loop
 * runs between slices, so the task port waits at most for one slice.
 */
export const RECONCILE_SLICE = 25_000;

/** A reconcile under way: its counts so far, and which ids they already cover. */
interface Reconciling {
  next: Map<string, Row>;
  /** Ids up to here are counted in `next`. */
  upTo: number;
  /** The highest id when the reconcile began: later ones are not read, but applied. */
  max: number;
}

export class TaskCounts {
  private byType = new Map<string, Row>();
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private under: Reconciling | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly labels: TypeLabels,
    private readonly onError: (error: unknown) => void,
    private readonly slice = RECONCILE_SLICE,
  ) {}

  /** Reads the counts now, then again every `reconcileMs` (0: never again). */
  async start(reconcileMs: number): Promise<void> {
    await this.reconcile();
    if (reconcileMs > 0) {
      this.timer = setInterval(() => void this.reconcile().catch(this.onError), reconcileMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
  }

  /**
   * Replaces the counts with the store's, read a slice of ids at a time (at most one
   * reconcile at a time). The changes applied meanwhile (see `move`) reach the new counts
   * too when their task's id is in a slice already read or above the highest id read, so
   * on a store only this server writes, the result is exact.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= (async () => {
      try {
        const max = await this.store.maxTaskId();
        const under: Reconciling = { next: new Map(), upTo: 0, max };
        this.under = under;
        while (under.upTo < max && !this.stopped) {
          const to = Math.min(max, under.upTo + this.slice);
          for (const { type, status, n } of await this.store.countsByType(under.upTo, to)) {
            add(under.next, this.labels.of(type), undefined, status, n);
          }
          under.upTo = to;
          // Let the task port run between slices.
          if (under.upTo < max) await new Promise((resolve) => setImmediate(resolve));
        }
        if (!this.stopped) this.byType = under.next;
      } finally {
        this.under = undefined;
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  /**
   * Moves `n` tasks of a type from one status to another (`from` undefined: new tasks);
   * `id` is the task's (the first of the new ones), for a reconcile under way.
   */
  move(type: string, from: TaskStatus | undefined, to: TaskStatus, id: number, n = 1): void {
    if (from === to) return;
    const label = this.labels.of(type);
    add(this.byType, label, from, to, n);
    const under = this.under;
    if (under && (id <= under.upTo || id > under.max)) add(under.next, label, from, to, n);
  }

  /** Lets go of a task retention deleted (it leaves every count). */
  remove(type: string, status: TaskStatus, id: number): void {
    const label = this.labels.of(type);
    drop(this.byType, label, status);
    const under = this.under;
    // A slice read already counted it; one still to read will not find it.
    if (under && (id <= under.upTo || id > under.max)) drop(under.next, label, status);
  }

  /** The counts by type label and status. */
  entries(): IterableIterator<[string, Readonly<Row>]> {
    return this.byType.entries();
  }

  /** The labels of types with tasks waiting (enqueued). */
  typesWaiting(): string[] {
    return [...this.byType]
      .filter(([label, row]) => row.enqueued > 0 && label !== OTHER_TYPE)
      .map(([l]) => l);
  }
}

function add(
  counts: Map<string, Row>,
  label: string,
  from: TaskStatus | undefined,
  to: TaskStatus,
  n: number,
): void {
  let row = counts.get(label);
  if (!row) {
    row = emptyRow();
    counts.set(label, row);
  }
  if (from !== undefined) row[from] = Math.max(0, row[from] - n);
  row[to] += n;
}

function drop(counts: Map<string, Row>, label: string, status: TaskStatus): void {
  const row = counts.get(label);
  if (row) row[status] = Math.max(0, row[status] - 1);
}
