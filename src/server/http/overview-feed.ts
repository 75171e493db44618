/**
 * The overview's live data: once a second it samples the throughput (tasks submitted and
 * finished per second, for the last minutes) and builds the overview (counts by type and
 * status from memory, workers, paused types, the newest tasks), and pushes it to the open
 * event streams. The newest tasks are read (ten, through the list index) only in a second
 * when a commit or a lease happened (the metrics' generation moved): at most one read a
 * second. It listens to no task event: a `task:changed` listener would make every report
 * come back as a whole record (TaskChanges.wantsRecord), a read per task.
 */
import type { TaskStatus } from '../../model/tasks.ts';
import type { WorkerInfo } from '../../protocol/messages.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { HttpContext } from './context.ts';

/** Seconds of throughput the chart shows. */
export const HISTORY_SECONDS = 300;
const RECENT = 10;

export interface Overview {
  at: string;
  store: string;
  counts: ({ type: string } & Record<TaskStatus, number>)[];
  /** Per second: unix seconds, tasks submitted, tasks finished. */
  throughput: { t: number[]; submitted: number[]; finished: number[] };
  workers: WorkerInfo[];
  paused: readonly string[];
  recent: { id: string; type: string; status: string; createdAt: string }[];
}

type Send = (overview: Overview) => void;

export class OverviewFeed {
  private readonly t: number[] = [];
  private readonly submitted: number[] = [];
  private readonly finished: number[] = [];
  private last = { submitted: 0, finished: 0 };
  private recent: Overview['recent'] = [];
  /** The metrics' generation when the newest tasks were read (-1: never). */
  private read = -1;
  private timer: NodeJS.Timeout | undefined;
  private readonly streams = new Set<Send>();

  constructor(
    private readonly ctx: HttpContext,
    private readonly metrics: ServerMetrics,
  ) {}

  start(): void {
    this.last = { ...this.metrics.totals };
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.streams.clear();
  }

  /** Adds an event stream; returns what removes it. */
  subscribe(send: Send): () => void {
    this.streams.add(send);
    return () => this.streams.delete(send);
  }

  /** The overview now (the newest tasks as of the last second that read them). */
  async current(): Promise<Overview> {
    if (this.read === -1) await this.readRecent();
    const counts = [...this.metrics.taskCounts()]
      .map(([type, row]) => ({ type, ...row }))
      .sort((a, b) => a.type.localeCompare(b.type));
    return {
      at: new Date(this.ctx.now()).toISOString(),
      store: this.ctx.storeHealth().status,
      counts,
      throughput: { t: [...this.t], submitted: [...this.submitted], finished: [...this.finished] },
      workers: this.ctx.workers(),
      paused: this.ctx.operator.pausedTypes?.() ?? [],
      recent: this.recent,
    };
  }

  private async tick(): Promise<void> {
    const { submitted, finished } = this.metrics.totals;
    this.t.push(Math.floor(this.ctx.now() / 1000));
    this.submitted.push(submitted - this.last.submitted);
    this.finished.push(finished - this.last.finished);
    this.last = { submitted, finished };
    if (this.t.length > HISTORY_SECONDS) {
      this.t.shift();
      this.submitted.shift();
      this.finished.shift();
    }
    if (this.streams.size === 0) return;
    try {
      if (this.read !== this.metrics.generation) await this.readRecent();
      const overview = await this.current();
      for (const send of this.streams) send(overview);
    } catch (error) {
      this.ctx.log.error({ err: error }, 'building the overview failed');
    }
  }

  private async readRecent(): Promise<void> {
    this.read = this.metrics.generation;
    const page = await this.ctx.store.listTasks({ limit: RECENT, scan: RECENT });
    this.recent = page.tasks.map((t) => ({
      id: String(t.id),
      type: t.type,
      status: t.status,
      createdAt: new Date(t.createdAt).toISOString(),
    }));
  }
}
