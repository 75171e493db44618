/**
 * Whether the store answers: every failure that means the database cannot serve (see
 * `isStoreUnavailable`) says "unavailable"; a commit that wrote something says "ok" again,
 * and so does any operation that reached the store (a sweep, a commit of claims alone),
 * unless the failure was a full disk, which only a write that fits proves over. The server
 * reports it in `ping`, and when the store comes back it wakes the scheduler so work
 * resumes without a restart.
 */
import { isStoreFull, isStoreUnavailable } from '../store/errors.ts';
import { hasWrites, type WriteBatch } from '../store/types.ts';
import type { CommitListener } from './committer.ts';

export type StoreStatus = 'ok' | 'unavailable';

export class StoreHealth implements CommitListener {
  private current: StoreStatus = 'ok';
  private lastError: string | undefined;
  private full = false;

  constructor(private readonly onChange: (status: StoreStatus, error?: string) => void) {}

  get status(): StoreStatus {
    return this.current;
  }

  /** The message of the failure that made the store unavailable, while it is. */
  get error(): string | undefined {
    return this.current === 'ok' ? undefined : this.lastError;
  }

  /** A commit reached the store; one that wrote something proves a full disk over. */
  committed(batch: WriteBatch): void {
    this.ok(hasWrites(batch));
  }

  /** `wrote`: the operation wrote data (a full disk took it), not only reached the store. */
  ok(wrote: boolean): void {
    if (this.current === 'ok' || (this.full && !wrote)) return;
    this.current = 'ok';
    this.onChange('ok');
  }

  /** Records a failure; only unavailability (not a bug or a bad request) changes the status. */
  failed(error: unknown): void {
    if (!isStoreUnavailable(error)) return;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.full = isStoreFull(error);
    if (this.current === 'unavailable') return;
    this.current = 'unavailable';
    this.onChange('unavailable', this.lastError);
  }
}
