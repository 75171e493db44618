/**
 * One timer for the earliest moment something becomes due (a retry's backoff ends, a delayed
 * task's time comes, a schedule ticks), never one timer per task: when it fires it runs
 * `onDue`, then asks the store for the next due time, and a nearer time moves it.
 */
export interface DueTimerOptions {
  now: () => number;
  /** The earliest due time, from the store (it may be past: something due not yet handled). */
  next: (now: number) => Promise<number | undefined>;
  /**
   * Handles what is due now; resolves true when it handled something. A due time still past
   * after a turn that handled nothing (another server holds those rows) is tried again after
   * BUSY_RETRY_MS, not at once.
   */
  onDue: () => Promise<boolean> | boolean | undefined;
  onError: (error: unknown, context: string) => void;
  /** What the timer is for, in error contexts. */
  what: string;
}

/** setTimeout's longest delay (about 24.8 days); a later time is reached in several waits. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** How soon a past due time that nothing could be done about is tried again. */
const BUSY_RETRY_MS = 50;

/** How soon the timer tries again after `onDue` or `next` failed (the store is down). */
const FAILED_RETRY_MS = 1000;

export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  /**
   * When the timer fires, on the process's own clock (Date.now), not the injected one: a time
   * asked for is compared by when it would fire, so an injected clock that jumps ahead (a
   * test's hour passing) is followed by the next time asked for.
   */
  private firesAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  private firing = false;
  /** A time asked for while firing: armed once the turn ends. */
  private asked = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: DueTimerOptions) {}

  /** Arms the timer for what the store already holds. */
  async start(): Promise<void> {
    const next = await this.opts.next(this.opts.now());
    if (next !== undefined) this.schedule(next);
  }

  /** Something becomes due at `at`: fires then, unless the timer is already set earlier. */
  schedule(at: number): void {
    if (this.stopped) return;
    if (this.firing) {
      this.asked = Math.min(this.asked, at);
      return;
    }
    const wait = Math.min(MAX_TIMEOUT_MS, Math.max(0, at - this.opts.now()));
    const firesAt = Date.now() + wait;
    if (firesAt >= this.firesAt) return;
    clearTimeout(this.timer);
    this.firesAt = firesAt;
    this.timer = setTimeout(() => void this.fire(), wait);
  }

  /** Something comes due at `at`; without `at`, the due time is read from the store again. */
  dueAt(at?: number): void {
    if (at === undefined) this.refresh();
    else this.schedule(at);
  }

  /** Reads the next due time from the store again (events about it may have been missed). */
  refresh(): void {
    if (this.stopped) return;
    this.opts.next(this.opts.now()).then(
      (next) => next !== undefined && this.schedule(next),
      (error: unknown) => {
        if (!this.stopped) this.opts.onError(error, `reading ${this.opts.what} times`);
      },
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async fire(): Promise<void> {
    this.firesAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    this.firing = true;
    let again: number | undefined;
    try {
      const now = this.opts.now();
      const handled = (await this.opts.onDue()) === true;
      const next = await this.opts.next(this.opts.now());
      if (next !== undefined) again = handled || next > now ? next : now + BUSY_RETRY_MS;
    } catch (error) {
      // Stopped meanwhile: the store may be closing under this turn; nothing is lost.
      if (this.stopped) return;
      this.opts.onError(error, `handling due ${this.opts.what}`);
      again = this.opts.now() + FAILED_RETRY_MS;
    } finally {
      this.firing = false;
    }
    const asked = this.asked;
    this.asked = Number.POSITIVE_INFINITY;
    if (again !== undefined) this.schedule(again);
    if (asked !== Number.POSITIVE_INFINITY) this.schedule(asked);
  }
}
