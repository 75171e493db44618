/**
 * Cron schedules: kept in the store (so they survive restarts and every server sharing the
 * database runs them), parsed with croner (5 fields, or 6 with seconds first; an IANA time
 * zone). One timer (due-timer.ts) for the earliest next run of any schedule: when it fires,
 * the store runs the due schedules in one transaction, one task per schedule for its due tick,
 * keyed NAME@TICK (a tick makes one task however many servers fire for it), and sets each
 * one's next run to its first tick after now: a server that was down through several ticks
 * makes one catch-up task per schedule, not one per missed tick.
 */
import { Cron } from 'croner';
import type { TypedEmitter } from '../../events/emitter.ts';
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import type { ScheduleParams } from '../../protocol/tasks.ts';
import type { NewTask, ScheduleRecord, Store } from '../../store/types.ts';
import type { ServerEvents } from '../events.ts';
import { DueTimer } from './due-timer.ts';

export interface CronSchedulesOptions {
  now: () => number;
  events: TypedEmitter<ServerEvents>;
  /** Tasks of these types were created by ticks: the scheduler may lease them. */
  onTasks: (types: Iterable<string>) => void;
  onError: (error: unknown, context: string) => void;
}

function invalidSchedule(message: string): TaskwireError {
  return new TaskwireError(ErrorCode.INVALID_SCHEDULE, message);
}

/** Checks an IANA time zone name; throws INVALID_SCHEDULE for one the runtime does not know. */
export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw invalidSchedule(
      `unknown time zone ${JSON.stringify(tz)}: expected an IANA name such as Europe/Paris or UTC`,
    );
  }
}

/** Parses a cron expression read in `tz` (UTC when null); throws INVALID_SCHEDULE with croner's reason. */
export function parseCron(expression: string, tz: string | null): Cron {
  if (tz !== null) checkTimeZone(tz);
  try {
    return new Cron(expression, { paused: true, timezone: tz ?? 'UTC' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidSchedule(`invalid cron expression ${JSON.stringify(expression)}: ${reason}`);
  }
}

/** The first tick of `cron` after `after` (ms), or null when it has none left. */
export function nextTick(cron: Cron, after: number): number | null {
  return cron.nextRun(new Date(after))?.getTime() ?? null;
}

export class CronSchedules {
  private readonly timer: DueTimer;

  constructor(
    private readonly store: Store,
    private readonly opts: CronSchedulesOptions,
  ) {
    this.timer = new DueTimer({
      now: opts.now,
      next: () => store.nextScheduleRun(),
      onDue: () => this.tick(),
      onError: opts.onError,
      what: 'schedule',
    });
  }

  start(): Promise<void> {
    return this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** A schedule changed elsewhere runs at `at`; without `at`, its time is read again. */
  dueAt(at?: number): void {
    this.timer.dueAt(at);
  }

  /**
   * Adds a schedule, or replaces the one of that name. `task` checks the task it makes (its
   * type must be accepted, its data valid) and gives its max attempts; a bad expression or
   * time zone is refused with INVALID_SCHEDULE and nothing is stored.
   */
  async add(
    params: ScheduleParams,
    task: (spec: { type: string; data: ScheduleParams['data'] }) => NewTask | Promise<NewTask>,
  ): Promise<{ schedule: ScheduleRecord; created: boolean }> {
    const tz = params.tz ?? null;
    const cron = parseCron(params.cron, tz);
    const now = this.opts.now();
    const nextRun = nextTick(cron, now);
    if (nextRun === null) {
      throw invalidSchedule(`cron expression ${JSON.stringify(params.cron)} has no run left`);
    }
    const row = await task({ type: params.type, data: params.data });
    const spec = {
      name: params.name,
      cron: params.cron,
      tz,
      type: row.type,
      data: params.data,
      priority: params.priority ?? 0,
      maxAttempts: params.maxAttempts ?? row.maxAttempts,
      nextRun,
    };
    const { created } = await this.store.putSchedule(spec, now);
    this.timer.schedule(nextRun);
    const stored = (await this.store.schedules()).find((s) => s.name === params.name);
    return {
      schedule: stored ?? {
        ...spec,
        lastRun: null,
        lastTask: null,
        createdAt: now,
        updatedAt: now,
      },
      created,
    };
  }

  list(): Promise<ScheduleRecord[]> {
    return this.store.schedules();
  }

  /** Removes a schedule; SCHEDULE_NOT_FOUND when there is none of that name. */
  async remove(name: string): Promise<void> {
    if (!(await this.store.removeSchedule(name))) {
      throw new TaskwireError(ErrorCode.SCHEDULE_NOT_FOUND, `no such schedule: ${name}`, {
        data: { name },
      });
    }
  }

  /**
   * A ticked schedule's next run: its first tick after now (the missed ones are skipped). One
   * whose stored expression no longer parses (a time zone the runtime dropped) runs no more,
   * rather than failing every schedule's tick.
   */
  private nextAfter(s: ScheduleRecord, now: number): number | null {
    try {
      return nextTick(parseCron(s.cron, s.tz), now);
    } catch (error) {
      this.opts.onError(error, `computing the next run of schedule ${s.name}`);
      return null;
    }
  }

  /** Runs the due schedules; true when some ticked. */
  private async tick(): Promise<boolean> {
    const now = this.opts.now();
    const ticks = await this.store.tickSchedules(now, (s) => this.nextAfter(s, now));
    if (ticks.length === 0) return false;
    this.opts.onTasks(new Set(ticks.map((t) => t.type)));
    for (const t of ticks) {
      this.opts.events.emit('schedule:ticked', {
        name: t.name,
        at: t.at,
        taskId: t.taskId,
        duplicate: t.duplicate,
      });
    }
    return true;
  }
}
