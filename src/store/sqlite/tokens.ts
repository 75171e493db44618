/**
 * Lease tokens for the SQLite store. A token fences one attempt, so it is never handed out
 * twice, even across a crash: the store reserves a range in store_state ('tokens_from':
 * every token below it may have been handed out) and hands tokens out of it in memory,
 * writing the next reservation only when a range runs out.
 */
import type Database from 'better-sqlite3';

/** Tokens reserved per write: one row write every this many claimed tasks. */
const TOKEN_BLOCK = 100_000;

const KEY = 'tokens_from';

export class Tokens {
  private readonly get: Database.Statement;
  private readonly set: Database.Statement;
  private next = 0;
  /** The first token not reserved. */
  private end = 0;
  private saved: { next: number; end: number } | undefined;

  constructor(get: Database.Statement, set: Database.Statement) {
    this.get = get;
    this.set = set;
  }

  /** Starts handing out from the stored mark; runs inside the opening transaction. */
  load(): void {
    const from = this.get.get(KEY) as number | undefined;
    this.next = this.end = from ?? 1;
  }

  /** Starts a transaction: `rollback` returns to this point. */
  begin(): void {
    this.saved = { next: this.next, end: this.end };
  }

  commit(): void {
    this.saved = undefined;
  }

  rollback(): void {
    if (this.saved) ({ next: this.next, end: this.end } = this.saved);
    this.saved = undefined;
  }

  /** The first of `count` consecutive new tokens; reserves more inside the transaction. */
  take(count: number): number {
    const first = this.next;
    this.next += count;
    if (this.next > this.end) {
      this.end = this.next + TOKEN_BLOCK;
      this.set.run(KEY, this.end);
    }
    return first;
  }

  /** Gives back the unused reservation (at a clean close): the next start continues here. */
  release(): void {
    this.end = this.next;
    this.set.run(KEY, this.end);
  }
}
