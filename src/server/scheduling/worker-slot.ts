/** A worker as the scheduler sees it, and what the scheduler keeps about each one. */
import type { RevokeReason } from '../../protocol/messages.ts';
import type { ClaimRequest, Lease } from '../../store/types.ts';

export type { RevokeReason } from '../../protocol/messages.ts';

/** A worker: the built-in executor, a remote connection, or a legacy tally connection. */
export interface WorkerSlot {
  readonly id: string;
  /** Recorded in each attempt: who ran it. */
  readonly name: string;
  readonly types: readonly string[];
  readonly concurrency: number;
  /** In-process workers are alive while the server is: the sweep extends their leases. */
  readonly local: boolean;
  /** Takes leased tasks. Called only within the worker's free capacity. */
  assign(leases: Lease[]): void;
  /** The worker lost these leases (expired, canceled, timed out): it stops and does not report. */
  revoke(tokens: number[], reason: RevokeReason): void;
  /** False while the worker cannot take more (e.g. its socket is not draining). */
  ready?(): boolean;
  /**
   * A pull worker is never pushed tasks by the pump: it asks with `claimFor` (the legacy
   * tally protocol answers each request with a key or "wait").
   */
  readonly pull?: boolean;
}

/** The scheduler's record of one worker. */
export interface SlotState {
  slot: WorkerSlot;
  inFlight: Set<number>;
  /**
   * Reports on this worker's leases waiting in the committer's next batch (claims in
   * writes): the slots they free count as free for that batch's claims, which the
   * transaction applies after the reports.
   */
  reporting: Set<number>;
  /**
   * Slots asked for by claims not delivered yet (a claim in a batch being written, or the
   * pump's): they do not count as free, so two claims never fill the same slots.
   */
  claiming: number;
  done: number;
  since: number;
}

export function slotState(slot: WorkerSlot, now: number): SlotState {
  return { slot, inFlight: new Set(), reporting: new Set(), claiming: 0, done: 0, since: now };
}

/** A worker that gets a claim now, and the claim. */
export interface Want {
  state: SlotState;
  request: ClaimRequest;
}

/** Free slots a worker needs before it gets a claim: a quarter of them, at least one. */
function refillAt(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 4));
}

/**
 * The workers to claim for now, from `order[start]` round: those with at least a quarter of
 * their slots free (fewer, larger claims and assignments, while a busy worker still has
 * three quarters of its work in hand), ready, and running a type `claimable` leaves (not
 * known to be exhausted, not paused); each claim asks only for those types. `inBatch`: the
 * claims go in the committer's batch, after its reports, whose slots count as free.
 */
export function wantedClaims(
  order: readonly SlotState[],
  start: number,
  claimable: (types: readonly string[]) => readonly string[],
  now: number,
  leaseMs: number,
  inBatch: boolean,
): Want[] {
  const n = order.length;
  const wanted: Want[] = [];
  for (let i = 0; i < n; i++) {
    const state = order[(start + i) % n]!;
    const { slot } = state;
    let reported = 0;
    if (inBatch && state.reporting.size > 0) {
      for (const t of state.reporting) if (state.inFlight.has(t)) reported += 1;
      state.reporting.clear();
    }
    const free = slot.concurrency - state.inFlight.size - state.claiming + reported;
    if (free < refillAt(slot.concurrency) || slot.pull || slot.ready?.() === false) continue;
    const types = claimable(slot.types);
    if (types.length === 0) continue;
    state.claiming += free;
    wanted.push({ state, request: { worker: slot.name, types, limit: free, now, leaseMs } });
  }
  return wanted;
}
