/**
 * One timer for the earliest moment something becomes due (a retry's backoff ends), never
 * one timer per task: when it fires it wakes the scheduler and asks the store for the next
 * due time, and a nearer time moves it.
 */
export interface DueTimerOptions {
  now: () => number;
  /** The earliest due time after `now`, from the store. */
  next: (now: number) => Promise<number | undefined>;
  /** Something became due. */
  onDue: () => void;
  onError: (error: unknown, context: string) => void;
}

export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly opts: DueTimerOptions) {}

  /** Arms the timer for what the store already holds. */
  async start(): Promise<void> {
    const next = await this.opts.next(this.opts.now());
    if (next !== undefined) this.schedule(next);
  }

  /** Something becomes due at `at`: fires then, unless the timer is already set earlier. */
  schedule(at: number): void {
    if (at >= this.at || this.stopped) return;
    clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.opts.now()));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private fire(): void {
    this.at = Number.POSITIVE_INFINITY;
    this.opts.onDue();
    this.opts.next(this.opts.now()).then(
      (next) => next !== undefined && this.schedule(next),
      (error: unknown) => this.opts.onError(error, 'reading retry times'),
    );
  }
}
