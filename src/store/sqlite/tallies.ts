/** The SQLite store's tallies: creating one with its tasks, and a tally's summary. */
import { type TallyRow, toTallySummary } from '../rows.ts';
import type { TallySpec, TallySummary } from '../types.ts';
import type { StoreParts } from './operations.ts';
import type { Statements } from './statements.ts';

/**
 * Creates a tally and one task per key, in key order (so claim hands out key 0 first), or
 * finds the tally already stored under `spec.name` and inserts nothing.
 */
export function createTally(
  { st, ids }: StoreParts,
  spec: TallySpec,
  now: number,
): { id: number; created: boolean } {
  const name = spec.name ?? null;
  if (name !== null) {
    const found = st['tally-by-name'].get({ name }) as number | undefined;
    if (found !== undefined) return { id: found, created: false };
  }
  const { keys, reps, maxAttempts } = spec;
  if (!Number.isInteger(keys) || keys < 1) {
    throw new RangeError(`a tally needs a positive integer number of keys: ${keys}`);
  }
  const given = ids.tally;
  ids.tally = null;
  const id = Number(st['tally-insert'].run({ id: given, name, keys, reps, now }).lastInsertRowid);
  const insert = st['tally-task-insert'];
  for (let key = 0; key < keys; key++) {
    const data = JSON.stringify({ tally: id, key });
    insert.run({ id: ids.task, data, reps, maxAttempts, tallyId: id, now });
    ids.task = null;
  }
  return { id, created: true };
}

/**
 * The summary of one tally: by id, by name (both must match when both are given), or the
 * latest when neither is. Undefined when there is no such tally.
 */
export function tally(
  st: Statements,
  which: { id?: number; name?: string },
): TallySummary | undefined {
  let { id } = which;
  if (which.name !== undefined) {
    const named = st['tally-by-name'].get({ name: which.name }) as number | undefined;
    if (named === undefined || (id !== undefined && id !== named)) return undefined;
    id = named;
  } else if (id === undefined) {
    id = (st['tally-latest'].get() as number | null) ?? undefined;
    if (id === undefined) return undefined;
  }
  const row = st['tally-summary'].get({ id }) as TallyRow | undefined;
  if (row === undefined) return undefined;
  return toTallySummary(row, st['tally-workers'].all({ id }) as string[]);
}
