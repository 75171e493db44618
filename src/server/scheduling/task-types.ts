/**
 * Which task types the server accepts, one rule on every store: a type is accepted when
 * this server's built-in executor runs it (its built-in and extra handlers), when it was
 * named with `--types`, or when a worker has ever declared it (`worker.hello`), to this
 * server or to any server sharing its store: declared types are kept in the store, so they
 * survive restarts and a producer may submit before the worker of its type reconnects.
 * Anything else is refused with UNKNOWN_TASK_TYPE: a task nothing would run is never queued.
 * Built-in types also check their data.
 */
import { builtinType } from '../../handlers/builtins.ts';
import { type Json, MAX_DELAY_MS, RUN_AT_TOLERANCE_MS } from '../../model/tasks.ts';
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import { parseDateTime, type TaskSpec } from '../../protocol/tasks.ts';
import type { NewTask, Store } from '../../store/types.ts';

export class TaskTypes {
  private readonly known = new Set<string>();
  /** The store lookup under way, and the one queued behind it (see `refresh`). */
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    initial: Iterable<string>,
    private readonly defaultMaxAttempts: number,
    private readonly now: () => number = Date.now,
  ) {
    for (const t of initial) this.known.add(t);
  }

  /** Reads the types the store holds (at start). */
  async load(): Promise<void> {
    for (const t of await this.store.taskTypes()) this.known.add(t);
  }

  /** A worker declared these types: accepted from now on, and recorded in the store. */
  declare(types: readonly string[]): Promise<void> {
    const fresh = types.filter((t) => !this.known.has(t));
    for (const t of fresh) this.known.add(t);
    return fresh.length > 0 ? this.store.declareTypes(fresh, this.now()) : Promise.resolve();
  }

  list(): string[] {
    return [...this.known].sort();
  }

  /**
   * Checks a task spec and turns it into a row to insert, or throws a wire error. Answers at
   * once for a known type; an unknown one on a shared store is looked up there first (other
   * servers' workers may have declared it): the answer waits for a lookup that starts after
   * the call, so a type another server has recorded before this call is never refused.
   */
  accept(spec: TaskSpec): NewTask | Promise<NewTask> {
    const name = builtinType(spec.type)?.name ?? spec.type;
    if (this.known.has(name) || this.store.capabilities.exclusive) return this.prepare(spec);
    return this.refresh().then(() => this.prepare(spec));
  }

  /** `accept` for many specs: one row each, in order. */
  acceptMany(specs: readonly TaskSpec[]): NewTask[] | Promise<NewTask[]> {
    const rows = specs.map((s) => this.accept(s));
    return rows.some((r) => r instanceof Promise) ? Promise.all(rows) : (rows as NewTask[]);
  }

  /**
   * A store lookup that starts after this call. Coalesced: while one is under way, callers
   * share the single lookup queued behind it, so a flood of unknown types costs at most one
   * query at a time per server, and no caller is answered from a lookup that began before it.
   */
  private refresh(): Promise<void> {
    if (this.inFlight === undefined) return this.startLookup();
    const start = (): Promise<void> => {
      this.queued = undefined;
      return this.startLookup();
    };
    this.queued ??= this.inFlight.then(start, start);
    return this.queued;
  }

  private startLookup(): Promise<void> {
    const lookup = this.load().finally(() => {
      if (this.inFlight === lookup) this.inFlight = undefined;
    });
    this.inFlight = lookup;
    return lookup;
  }

  private prepare(spec: TaskSpec): NewTask {
    const builtin = builtinType(spec.type);
    const type = builtin?.name ?? spec.type;
    if (!this.known.has(type)) {
      const known = this.list();
      throw new TaskwireError(
        ErrorCode.UNKNOWN_TASK_TYPE,
        `unknown task type "${spec.type}": nothing runs it here. This server accepts ` +
          `${known.join(', ') || 'no type yet'}: the types its executor runs, those named with ` +
          '--types, and those a worker has declared',
        { data: { type: spec.type, known } },
      );
    }
    const problem = builtin?.validate(spec.data as Json);
    if (problem) {
      throw new TaskwireError(ErrorCode.INVALID_TASK_DATA, `invalid data for ${type}: ${problem}`);
    }
    const row: NewTask = {
      type,
      data: spec.data,
      reps: spec.reps ?? 1,
      maxAttempts: spec.maxAttempts ?? this.defaultMaxAttempts,
    };
    // Left out when they change nothing: the stores' faster path is the one without options.
    if (spec.priority !== undefined && spec.priority !== 0) row.priority = spec.priority;
    if (spec.key !== undefined) row.key = spec.key;
    if (spec.timeout !== undefined) row.timeoutMs = spec.timeout;
    if (spec.delay !== undefined || spec.runAt !== undefined) {
      const runAt = dueTime(spec, this.now());
      if (runAt !== undefined) row.runAt = runAt;
    }
    return row;
  }
}

function invalid(message: string): TaskwireError {
  return new TaskwireError(ErrorCode.INVALID_PARAMS, `invalid params: ${message}`);
}

/**
 * When a task with a delay or a run-at becomes due (ms), or undefined when it is due now: a
 * run-at up to RUN_AT_TOLERANCE_MS in the past runs at once, an earlier one is refused.
 */
export function dueTime(spec: Pick<TaskSpec, 'delay' | 'runAt'>, now: number): number | undefined {
  if (spec.delay !== undefined && spec.runAt !== undefined) {
    throw invalid('give delay or runAt, not both');
  }
  if (spec.delay !== undefined) return spec.delay > 0 ? now + spec.delay : undefined;
  const text = spec.runAt!;
  const at = parseDateTime(text);
  if (Number.isNaN(at)) {
    throw invalid(
      `runAt: expected an ISO 8601 date and time with a time zone, e.g. 2026-12-24T18:00:00Z; got ${JSON.stringify(text)}`,
    );
  }
  if (at < now - RUN_AT_TOLERANCE_MS) {
    throw invalid(
      `runAt: ${text} is ${Math.round((now - at) / 1000)} s in the past; a time at most ` +
        `${RUN_AT_TOLERANCE_MS / 1000} s ago runs the task at once, an earlier one is refused`,
    );
  }
  if (at > now + MAX_DELAY_MS) throw invalid(`runAt: ${text} is more than ten years ahead`);
  return at > now ? at : undefined;
}
