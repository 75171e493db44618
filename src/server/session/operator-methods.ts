/**
 * The operator's methods on the task port: retry, retryMany, pause, resume, types. Each
 * says who acted: the connection's identity (a token's name, once authentication names
 * one: `Session.identity`), otherwise its address.
 */
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import type { ParamsOf, ResultOf } from '../../protocol/messages.ts';
import { parseDateTime } from '../../protocol/tasks.ts';
import type { OperatorActions } from '../operator.ts';
import type { Session } from './session.ts';
import { parseTaskId, taskView } from './views.ts';

/** Who an operator's action is logged as: the hook for the identity auth attaches. */
export function actorOf(session: Pick<Session, 'remote' | 'identity'>): string {
  return session.identity ?? session.remote;
}

export async function retry(
  op: OperatorActions,
  session: Session,
  { id }: ParamsOf<'retry'>,
): Promise<ResultOf<'retry'>> {
  const n = parseTaskId(id);
  const [outcome] = n === undefined ? [] : await op.retry([n], actorOf(session));
  if (outcome?.ok) return taskView(outcome.task);
  if (!outcome || outcome.reason === 'not_found') {
    throw new TaskwireError(ErrorCode.TASK_NOT_FOUND, `no such task: ${id}`, { data: { id } });
  }
  throw new TaskwireError(
    ErrorCode.TASK_NOT_RETRYABLE,
    `task ${id} is ${outcome.status}; only a failed or canceled task can be retried`,
    { data: { id, status: outcome.status } },
  );
}

export async function retryMany(
  op: OperatorActions,
  session: Session,
  params: ParamsOf<'retryMany'>,
): Promise<ResultOf<'retryMany'>> {
  const since = params?.since === undefined ? undefined : parseDateTime(params.since);
  if (Number.isNaN(since)) {
    throw new TaskwireError(
      ErrorCode.INVALID_PARAMS,
      `invalid params: since: expected an ISO 8601 date and time with a time zone, e.g. 2026-12-24T18:00:00Z; got ${JSON.stringify(params?.since)}`,
    );
  }
  const filter = {
    statuses: [params?.status ?? 'failed'],
    ...(params?.type !== undefined && { type: params.type }),
    ...(since !== undefined && { from: since }),
  } as const;
  return { retried: await op.retryMatching(filter, actorOf(session)) };
}

export async function pause(
  op: OperatorActions,
  { type }: ParamsOf<'pause'>,
): Promise<ResultOf<'pause'>> {
  return { type, paused: true, changed: await op.pause(type) };
}

export async function resume(
  op: OperatorActions,
  { type }: ParamsOf<'resume'>,
): Promise<ResultOf<'resume'>> {
  return { type, paused: false, changed: await op.resume(type) };
}
