/**
 * Submits leased by their own write's claim. A quiet server's batch is one submit and the
 * one worker's claim that waits for it: inserted ready and then leased, the task's row is
 * written twice and the partial index tasks_claim once for nothing. Here the claim is
 * decided first: the candidates already stored, then the batch's own submits of its types
 * (priority 0, and newer than any stored task, so behind every stored candidate of priority
 * 0 or more and ahead of those below 0); the submits it takes are inserted leased.
 * Only for a batch soleClaim (../sole-claim.ts) accepts.
 */
import type { ClaimOutcome, ClaimRequest, NewTask, WriteBatch } from '../types.ts';
import { type Candidate, claimable, holdLeases, leaseTasks } from './claims.ts';
import type { StoreParts } from './operations.ts';

/**
 * Applies the submits and the one claim of a batch whose other writes are applied already:
 * the claim sees what they made runnable (a release, a retry due now) or not (a cancel).
 */
export function submitLeased(
  p: StoreParts,
  batch: WriteBatch,
  req: ClaimRequest,
): { ids: number[]; claim: ClaimOutcome } {
  const { limit } = req;
  const stored = claimable(p.st, req);
  const ahead = stored.filter((row) => row[6] >= 0).slice(0, limit);
  const types = new Set(req.types);
  const fresh = batch.submits.filter((task) => types.has(task.type)).length;
  const taken = Math.min(fresh, limit - ahead.length);
  const behind = stored.filter((row) => row[6] < 0).slice(0, limit - ahead.length - taken);
  leaseTasks(p.st, [...ahead, ...behind], req.now);
  const leased: Candidate[] = [];
  const ids = insertSubmits(p, batch, { types, take: taken, at: req.now }, leased);
  // Claim order: the stored tasks of priority 0 or more, the new ones, the rest.
  const ordered = [...ahead, ...leased, ...behind];
  const leases = ordered.length === 0 ? [] : holdLeases(p, req, ordered);
  return { ids, claim: { leases, more: stored.length + fresh > limit } };
}

/**
 * Inserts the submits in order (ids ascend with it); the first `take` of the claim's types
 * leased at `at`, each pushed to `leased` as the candidate row the claim would have read.
 */
function insertSubmits(
  p: StoreParts,
  batch: WriteBatch,
  claim: { types: ReadonlySet<string>; take: number; at: number },
  leased: Candidate[],
): number[] {
  const { now } = batch;
  const insert = p.st['task-insert'];
  const insertLeased = p.st['task-insert-leased'];
  const { types, at } = claim;
  let left = claim.take;
  return batch.submits.map((task: NewTask) => {
    const data = JSON.stringify(task.data);
    const given = p.ids.task;
    if (given !== null) p.ids.task = null;
    const { type, reps, maxAttempts } = task;
    if (left > 0 && types.has(type)) {
      left--;
      const ready = reps > 1 ? 1 : 0;
      const { lastInsertRowid } = insertLeased.run(
        given,
        type,
        data,
        ready,
        reps,
        maxAttempts,
        now,
        now,
        at,
        at,
      );
      const id = Number(lastInsertRowid);
      leased.push([id, type, data, reps, 0, null, 0, null, null, now, null]);
      return id;
    }
    return Number(insert.run(given, type, data, reps, maxAttempts, now, now, now).lastInsertRowid);
  });
}
