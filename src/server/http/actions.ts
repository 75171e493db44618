/**
 * The operator's actions on one task or type, shared by the API (JSON) and the pages (forms
 * that redirect back): each answers what happened, or why not with an HTTP status.
 */
import { parseTaskId } from '../session/views.ts';
import type { Operator } from './operator.ts';

export type ActionName = 'cancel' | 'retry' | 'pause' | 'resume';

export type ActionOutcome =
  | { ok: true; message: string }
  | { ok: false; status: 400 | 404 | 409; message: string };

const notFound = (what: string): ActionOutcome => ({ ok: false, status: 404, message: what });

/** Runs an action the server offers; one it does not offer is 404 (as an unknown route). */
export async function act(
  op: Operator,
  action: ActionName,
  target: string,
): Promise<ActionOutcome> {
  if (action === 'pause' || action === 'resume') {
    const run = op[action];
    if (!run) return notFound(`this server cannot ${action} task types`);
    await run.call(op, target);
    return { ok: true, message: `type ${target} ${action === 'pause' ? 'paused' : 'resumed'}` };
  }
  const id = parseTaskId(target);
  if (id === undefined) return notFound(`no such task: ${target}`);
  if (action === 'retry') {
    if (!op.retry) return notFound('this server cannot retry tasks');
    if (await op.retry(id)) return { ok: true, message: `task ${id} will run again` };
    return { ok: false, status: 409, message: `task ${id} cannot be retried now` };
  }
  const outcome = await op.cancel(id);
  if (outcome.ok) return { ok: true, message: `task ${id} canceled` };
  if (outcome.reason === 'not_found') return notFound(`no such task: ${id}`);
  return {
    ok: false,
    status: 409,
    message: `task ${id} is ${outcome.status}; a finished task cannot be canceled`,
  };
}
