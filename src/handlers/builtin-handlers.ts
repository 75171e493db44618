/** The built-in handlers, registered like any user handler. */
import { setTimeout as sleep } from 'node:timers/promises';
import { BUILTIN_TYPES, transform } from './builtins.ts';
import type { TaskHandler } from './run-handler.ts';

/** Handlers for flip, swap, repeat, tally and noop, delays multiplied by `delayScale`. */
export function builtinHandlers(delayScale: number): Map<string, TaskHandler> {
  const handlers = new Map<string, TaskHandler>();
  for (const t of BUILTIN_TYPES) {
    const delay = t.delayMs * delayScale;
    if (t.name === 'tally') {
      handlers.set(t.name, async (_task, ctx) => {
        // The seed's worker does one or two units of a key per report.
        const units = Math.random() < 0.5 ? 1 : 2;
        if (delay > 0) await sleep(delay * units, undefined, { signal: ctx.signal });
        ctx.setUnits(units);
        return null;
      });
      continue;
    }
    if (t.name === 'noop') {
      handlers.set(t.name, () => null);
      continue;
    }
    const name = t.name as 'flip' | 'swap' | 'repeat';
    handlers.set(name, async (task, ctx) => {
      if (typeof task.data !== 'string') throw new Error(`${name} needs a string`);
      if (delay > 0) await sleep(delay, undefined, { signal: ctx.signal });
      return transform(name, task.data);
    });
  }
  return handlers;
}
