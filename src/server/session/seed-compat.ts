/**
 * The seed project's line protocol (`1: data`, `status: ID`), answered with the exact
 * lines its unmodified Python client expects.
 */
import {
  parseSeedLine,
  SEED_NO_SUCH_TASK,
  seedDone,
  seedImpossible,
  seedScheduled,
  seedStatus,
} from '../../protocol/compat/seed-lines.ts';
import { TaskwireError } from '../../protocol/errors.ts';
import type { NewTask } from '../../store/types.ts';
import type { Core } from './dispatch.ts';
import { toWireError } from './errors.ts';
import { parseTaskId } from './views.ts';

const SEED_TYPES = { 1: 'flip', 2: 'swap', 3: 'repeat' } as const;

/** Answers one seed-protocol line (without its newline). */
export async function handleSeedLine(
  text: string,
  core: Core,
  onUnexpected: (error: unknown) => void,
): Promise<string> {
  const req = parseSeedLine(text);
  try {
    switch (req.kind) {
      case 'submit': {
        let row: NewTask;
        try {
          row = await core.types.accept({ type: SEED_TYPES[req.type], data: req.data });
        } catch (error) {
          if (error instanceof TaskwireError) return seedImpossible(String(req.type), req.data);
          throw error;
        }
        const {
          ids: [id],
        } = await core.committer.submit([row]);
        return seedScheduled(String(id));
      }
      case 'status': {
        const n = parseTaskId(req.id);
        const task = n === undefined ? undefined : await core.store.get(n);
        if (!task) return SEED_NO_SUCH_TASK;
        if (task.status === 'done')
          return seedDone(
            req.id,
            typeof task.result === 'string' ? task.result : JSON.stringify(task.result ?? null),
          );
        return seedStatus(req.id, task.status, task.error ?? undefined);
      }
      case 'invalid':
        return seedImpossible(req.typeText, req.data);
    }
  } catch (error) {
    const { error: wire, unexpected } = toWireError(error);
    if (unexpected) onUnexpected(error);
    return `Error: ${wire.message}`;
  }
}
