/**
 * Whether the store answers: every commit and sweep that succeeds says "ok", every failure
 * that means the database is unreachable (see `isStoreUnavailable`) says "unavailable". The
 * server reports it in `ping`, and when the store comes back it wakes the scheduler so work
 * resumes without a restart.
 */
import { isStoreUnavailable } from '../store/errors.ts';

export type StoreStatus = 'ok' | 'unavailable';

export class StoreHealth {
  private current: StoreStatus = 'ok';
  private lastError: string | undefined;

  constructor(private readonly onChange: (status: StoreStatus, error?: string) => void) {}

  get status(): StoreStatus {
    return this.current;
  }

  /** The message of the failure that made the store unavailable, while it is. */
  get error(): string | undefined {
    return this.current === 'ok' ? undefined : this.lastError;
  }

  ok(): void {
    if (this.current === 'ok') return;
    this.current = 'ok';
    this.onChange('ok');
  }

  /** Records a failure; only unavailability (not a bug or a bad request) changes the status. */
  failed(error: unknown): void {
    if (!isStoreUnavailable(error)) return;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.current === 'unavailable') return;
    this.current = 'unavailable';
    this.onChange('unavailable', this.lastError);
  }
}
