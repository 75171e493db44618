/** Reads one task with its attempts, by the id as a URL gives it. */
import type { AttemptRecord, TaskRecord } from '../../store/types.ts';
import { parseTaskId } from '../session/views.ts';
import type { HttpContext } from './context.ts';

export async function readTask(
  ctx: HttpContext,
  id: string,
): Promise<(TaskRecord & { attemptLog?: AttemptRecord[] }) | undefined> {
  const n = parseTaskId(id);
  return n === undefined ? undefined : ctx.store.get(n, true);
}
