/**
 * A quiet server's batch: plain submits and the one claim of the worker that waits for
 * them. A store may then insert the submits the claim takes already leased (one row write
 * instead of an insert and the claim's update), in the order the claim would take them.
 */
import { type ClaimRequest, hasOptions, type WriteBatch } from './types.ts';

/**
 * The batch's one claim, when its submits may be inserted leased by it: with several
 * claims a task of several units could be leased by more than one of them, and a submit
 * with options may carry a priority, a key or a due time.
 */
export function soleClaim(batch: WriteBatch): ClaimRequest | undefined {
  if (batch.claims.length !== 1 || batch.submits.length === 0) return undefined;
  const req = batch.claims[0]!;
  if (req.types.length === 0 || req.limit <= 0) return undefined;
  for (const task of batch.submits) if (hasOptions(task)) return undefined;
  return req;
}
