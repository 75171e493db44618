/**
 * Ids after retention. SQLite gives a row without an id the highest rowid plus one, so once
 * retention has deleted the newest tasks (or tallies), the next insert would take an id that
 * was handed out before. The store keeps the highest pruned ids in store_state and, while the
 * table's highest id is below that mark, gives the next insert its id explicitly (mark + 1);
 * from then on SQLite's own choice is right again. Rolls back with its transaction.
 */
import type { Statements } from './statements.ts';

export class TaskIds {
  /** The id the next task insert must take; null: SQLite's own. */
  task: number | null = null;
  /** The id the next tally insert must take; null: SQLite's own. */
  tally: number | null = null;
  private saved: { task: number | null; tally: number | null } | undefined;

  constructor(private readonly st: Statements) {}

  /** Reads the marks against the tables' highest ids (at open, and after a prune). */
  load(): void {
    const { st } = this;
    const markTask = (st['store-state-get'].get('pruned_task') as number | undefined) ?? 0;
    const markTally = (st['store-state-get'].get('pruned_tally') as number | undefined) ?? 0;
    this.task = markTask > (st['task-max-id'].get() as number) ? markTask + 1 : null;
    this.tally = markTally > (st['tally-max-id'].get() as number) ? markTally + 1 : null;
  }

  /** The highest pruned ids. */
  marks(): { task: number; tally: number } {
    const get = this.st['store-state-get'];
    return {
      task: (get.get('pruned_task') as number | undefined) ?? 0,
      tally: (get.get('pruned_tally') as number | undefined) ?? 0,
    };
  }

  begin(): void {
    this.saved = { task: this.task, tally: this.tally };
  }

  commit(): void {
    this.saved = undefined;
  }

  rollback(): void {
    if (this.saved) ({ task: this.task, tally: this.tally } = this.saved);
    this.saved = undefined;
  }
}
