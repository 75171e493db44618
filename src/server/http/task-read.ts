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

/**
 * Why a task cannot be read: 410 when retention deleted it (its id is at or below the highest
 * one pruned), else 404 (an id never handed out).
 */
export async function missingTask(
  ctx: HttpContext,
  id: string,
): Promise<{ status: 404 | 410; message: string }> {
  const n = parseTaskId(id);
  if (n !== undefined && n <= (await ctx.store.prunedMarks()).task) {
    return { status: 410, message: `task ${id} was finished and has been deleted by retention` };
  }
  return { status: 404, message: `no such task: ${id}` };
}
