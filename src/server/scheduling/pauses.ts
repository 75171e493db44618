/**
 * Paused task types: stored in the store (they survive a restart and hold on every server
 * sharing it), mirrored in memory for the scheduler, whose claims leave them out. Tasks of
 * a paused type are still accepted and queue; those running finish. On a shared store the
 * other servers hear of a change through the store's notifications (StoreSync → `reload`).
 */
import type { Store } from '../../store/types.ts';

export interface PausesOptions {
  now: () => number;
  /** The paused types changed (also at load): the scheduler's claims follow, events tell. */
  apply: (paused: ReadonlySet<string>) => void;
  onError: (error: unknown, context: string) => void;
}

export class Pauses {
  private paused: ReadonlySet<string> = new Set();
  /** Reads in order: a later read's answer is never overwritten by an earlier one. */
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly opts: PausesOptions,
  ) {}

  /** Reads the paused types from the store (at start, and after another server's change). */
  load(): Promise<void> {
    this.loading = this.loading
      .catch(() => undefined)
      .then(async () => {
        this.set(new Set(await this.store.operator.pausedTypes()));
      });
    return this.loading;
  }

  /** Another server changed them (or its notifications may have been missed). */
  reload(): void {
    this.load().catch((e: unknown) => this.opts.onError(e, 'reading the paused task types'));
  }

  /** Stops handing out tasks of `type`; false when it was paused already. */
  async pause(type: string): Promise<boolean> {
    const changed = await this.store.operator.setPaused(type, true, this.opts.now());
    this.set(new Set([...this.paused, type]));
    return changed;
  }

  /** Hands out tasks of `type` again; false when it was not paused. */
  async resume(type: string): Promise<boolean> {
    const changed = await this.store.operator.setPaused(type, false, this.opts.now());
    this.set(new Set([...this.paused].filter((t) => t !== type)));
    return changed;
  }

  has(type: string): boolean {
    return this.paused.has(type);
  }

  /** The paused types, by name. */
  list(): string[] {
    return [...this.paused].sort();
  }

  private set(paused: ReadonlySet<string>): void {
    this.paused = paused;
    this.opts.apply(paused);
  }
}
