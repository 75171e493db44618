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

export class TaskCounts {
  private byType = new Map<string, Row>();
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly labels: TypeLabels,
    private readonly onError: (error: unknown) => void,
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
    clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
  }

  /** Replaces the counts with the store's (one query; at most one at a time). */
  reconcile(): Promise<void> {
    this.reconciling ??= (async () => {
      try {
        const rows = await this.store.countsByType();
        const next = new Map<string, Row>();
        for (const { type, status, n } of rows) {
          const label = this.labels.of(type);
          const row = next.get(label) ?? emptyRow();
          row[status] += n;
          next.set(label, row);
        }
        this.byType = next;
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  /** Moves `n` tasks of a type from one status to another (`from` undefined: new tasks). */
  move(type: string, from: TaskStatus | undefined, to: TaskStatus, n = 1): void {
    if (from === to) return;
    const label = this.labels.of(type);
    let row = this.byType.get(label);
    if (!row) {
      row = emptyRow();
      this.byType.set(label, row);
    }
    if (from !== undefined) row[from] = Math.max(0, row[from] - n);
    row[to] += n;
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
