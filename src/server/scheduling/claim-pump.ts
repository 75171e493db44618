/**
 * Claims outside the committer's batches (PostgreSQL, for the batches of a busy server that
 * do not carry their own claims; a store that cannot claim inside its writes): after a wake-up,
 * one pump claims for each worker that wants tasks, one transaction each, and hands out what
 * it got. It runs on events (a submit committed, a slot freed, a lease given back), never on
 * a polling loop; wake-ups during a pump make it go round once more.
 */
import type { ClaimOutcome, Store } from '../../store/types.ts';
import type { Want } from './worker-slot.ts';

/** What the pump needs of the scheduler. */
export interface PumpHost {
  readonly closed: boolean;
  /** Counts the times work appeared (see Scheduler.workAppeared). */
  readonly workSeen: number;
  /** The workers to claim for now. */
  wanted(now: number): Want[];
  /** Hands out the leases; `exhaust`: a short claim means its types have no more ready. */
  deliver(wanted: Want[], outcomes: ClaimOutcome[], exhaust: boolean): Promise<void>;
}

export class ClaimPump {
  private pumping = false;
  private again = false;
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly host: PumpHost,
    private readonly opts: {
      now: () => number;
      onError: (error: unknown, context: string) => void;
    },
  ) {}

  /**
   * Schedules one pump, on the next check phase by default, after this turn's writes were
   * queued, so one pump serves a whole turn; right after a commit (`soon`) that turn's
   * writes are in already: the pump runs in a microtask, sparing a loop turn per task.
   */
  wake(soon: boolean): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.pump();
    };
    if (soon) queueMicrotask(run);
    else setImmediate(run);
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    const { host } = this;
    try {
      do {
        this.again = false;
        const wanted = host.closed ? [] : host.wanted(this.opts.now());
        if (wanted.length === 0) break;
        // A short claim marks its types exhausted only if no work appeared while it ran:
        // a submit committed during the claim would otherwise be forgotten (a lost wake-up).
        const seen = host.workSeen;
        let outcomes: ClaimOutcome[];
        try {
          outcomes = await this.claimEach(wanted);
        } catch (error) {
          // Nothing is delivered: the slots the claims asked for are free again.
          await host.deliver(wanted, [], false);
          throw error;
        }
        await host.deliver(wanted, outcomes, seen === host.workSeen);
      } while (this.again && !host.closed);
    } catch (error) {
      this.opts.onError(error, 'claiming tasks');
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Claims for each worker in turn (one transaction each), leaving out the types an earlier
   * claim of this pump found exhausted. Such a store does not say whether more tasks are
   * ready: a claim that got all it asked for assumes so.
   */
  private async claimEach(wanted: Want[]): Promise<ClaimOutcome[]> {
    const empty = new Set<string>();
    const outcomes: ClaimOutcome[] = [];
    for (const { request } of wanted) {
      const types = request.types.filter((t) => !empty.has(t));
      if (this.host.closed || types.length === 0) {
        outcomes.push({ leases: [], more: false });
        continue;
      }
      const leases = await this.store.claim({ ...request, types });
      const more = leases.length === request.limit;
      if (!more) for (const t of types) empty.add(t);
      outcomes.push({ leases, more });
    }
    return outcomes;
  }
}
