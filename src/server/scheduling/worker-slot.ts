/** A worker as the scheduler sees it, and what the scheduler keeps about each one. */
import type { ClaimRequest, Lease } from '../../store/types.ts';

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
  /** The worker lost these leases (expired or canceled): it should stop and not report. */
  revoke(tokens: number[], reason: 'expired' | 'canceled'): void;
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
  done: number;
  since: number;
}

export function slotState(slot: WorkerSlot, now: number): SlotState {
  return { slot, inFlight: new Set(), reporting: new Set(), done: 0, since: now };
}

/** A worker that gets a claim now, and the claim. */
export interface Want {
  state: SlotState;
  request: ClaimRequest;
}
