/**
 * Which task types the server accepts: the built-in types (even with no built-in executor:
 * remote workers run them), the types of the executor's extra handlers, and those declared
 * by workers that have connected. With `open` (a store shared by several servers) any type
 * is accepted: its worker may be connected to another server. Built-in types also check
 * their data.
 */

import { BUILTIN_TYPES, builtinType } from '../../handlers/builtins.ts';
import type { Json } from '../../model/tasks.ts';
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import type { TaskSpec } from '../../protocol/tasks.ts';
import type { NewTask } from '../../store/types.ts';

export class TaskTypes {
  private readonly known = new Set<string>();

  constructor(
    initial: Iterable<string>,
    private readonly defaultMaxAttempts: number,
    private readonly open = false,
  ) {
    for (const t of BUILTIN_TYPES) this.known.add(t.name);
    for (const t of initial) this.known.add(t);
  }

  add(types: Iterable<string>): void {
    for (const t of types) this.known.add(t);
  }

  list(): string[] {
    return [...this.known].sort();
  }

  /** Checks a task spec and turns it into a row to insert, or throws a wire error. */
  prepare(spec: TaskSpec): NewTask {
    const builtin = builtinType(spec.type);
    const type = builtin?.name ?? spec.type;
    if (!this.open && !this.known.has(type)) {
      throw new TaskwireError(
        ErrorCode.UNKNOWN_TASK_TYPE,
        `unknown task type "${spec.type}"; this server runs: ${this.list().join(', ') || 'none yet'}`,
        { data: { type: spec.type, known: this.list() } },
      );
    }
    const problem = builtin?.validate(spec.data as Json);
    if (problem) {
      throw new TaskwireError(ErrorCode.INVALID_TASK_DATA, `invalid data for ${type}: ${problem}`);
    }
    return {
      type,
      data: spec.data,
      reps: spec.reps ?? 1,
      maxAttempts: spec.maxAttempts ?? this.defaultMaxAttempts,
    };
  }
}
