/**
 * Native methods: each validated request becomes calls on the committer, the store, the
 * scheduler and the waiters. Handlers return results or throw TaskwireError.
 */

import { isTerminal } from '../../model/tasks.ts';
import { ErrorCode, TaskwireError } from '../../protocol/errors.ts';
import type { MethodName, ParamsOf, ResultOf, WorkerInfo } from '../../protocol/messages.ts';
import type { TaskView } from '../../protocol/tasks.ts';
import type { Store, TaskRecord } from '../../store/types.ts';
import type { Committer } from '../committer.ts';
import type { OperatorActions } from '../operator.ts';
import type { CronSchedules } from '../scheduling/cron-schedules.ts';
import type { WorkerMethods } from '../scheduling/remote-workers.ts';
import type { Scheduler } from '../scheduling/scheduler.ts';
import type { TaskTypes } from '../scheduling/task-types.ts';
import type { Waiters } from '../waiters.ts';
import * as operator from './operator-methods.ts';
import type { Session } from './session.ts';
import { parseTaskId, scheduleView, tallyView, taskView } from './views.ts';

export type { Session };

export interface Core {
  readonly store: Store;
  readonly committer: Committer;
  readonly scheduler: Scheduler;
  readonly waiters: Waiters;
  readonly types: TaskTypes;
  readonly schedules: CronSchedules;
  readonly operator: OperatorActions;
  readonly serverName: string;
  readonly maxAttempts: number;
  now(): number;
  listWorkers(): WorkerInfo[];
  /** Whether the store answers, for `ping`. */
  storeStatus(): 'ok' | 'unavailable';
}

function taskId(id: string): number {
  const n = parseTaskId(id);
  if (n === undefined) throw notFound(id);
  return n;
}

function notFound(id: string): TaskwireError {
  return new TaskwireError(ErrorCode.TASK_NOT_FOUND, `no such task: ${id}`, { data: { id } });
}

/**
 * The error for a task id the store does not have: TASK_PRUNED when retention deleted it
 * (the id is at or below the highest one it pruned), else TASK_NOT_FOUND.
 */
async function missing(core: Core, id: string): Promise<TaskwireError> {
  const n = parseTaskId(id);
  if (n === undefined || n > (await core.store.prunedMarks()).task) return notFound(id);
  return new TaskwireError(
    ErrorCode.TASK_PRUNED,
    `task ${id} was finished and has been deleted by retention`,
    { data: { id } },
  );
}

/**
 * Registers a waiter on task `n`: resolves with the task once a committed change makes it
 * terminal; pushes `task.update` meanwhile if asked. `remove` drops the waiter.
 */
function watch(core: Core, session: Session, n: number, updates: boolean) {
  let unregister!: () => void;
  let offClose = () => {};
  const done = new Promise<TaskView>((resolve) => {
    unregister = core.waiters.add(n, {
      onUpdate: updates ? (t) => session.notify('task.update', { task: taskView(t) }) : undefined,
      onDone: (t) => {
        offClose();
        resolve(taskView(t));
      },
    });
  });
  offClose = session.onClose(unregister);
  const remove = () => {
    offClose();
    unregister();
  };
  return { done, remove };
}

/** Resolves with the task once it is terminal; pushes `task.update` meanwhile if asked. */
export async function waitFor(
  core: Core,
  session: Session,
  id: string,
  updates: boolean,
): Promise<TaskView> {
  const n = taskId(id);
  // Registered before the read, so a change committed in between is not missed.
  const { done, remove } = watch(core, session, n, updates);
  let task: TaskRecord | undefined;
  try {
    task = await core.store.get(n);
  } catch (error) {
    remove();
    throw error;
  }
  if (!task) {
    remove();
    throw await missing(core, id);
  }
  if (isTerminal(task.status)) {
    remove();
    return taskView(task);
  }
  if (updates) session.notify('task.update', { task: taskView(task) });
  return done;
}

function requireWorker(session: Session): WorkerMethods {
  if (!session.worker) {
    throw new TaskwireError(
      ErrorCode.NOT_A_WORKER,
      'this connection is not a worker; call worker.hello first',
    );
  }
  return session.worker;
}

/** Runs one validated method call. */
export async function dispatch<M extends MethodName>(
  core: Core,
  session: Session,
  method: M,
  rawParams: ParamsOf<M>,
): Promise<ResultOf<M>> {
  // Narrowing a generic by its discriminant needs one widening cast per call site.
  const call = { method, params: rawParams } as {
    [K in MethodName]: { method: K; params: ParamsOf<K> };
  }[MethodName];
  const result = await run(core, session, call);
  return result as ResultOf<M>;
}

async function run(
  core: Core,
  session: Session,
  call: { [K in MethodName]: { method: K; params: ParamsOf<K> } }[MethodName],
): Promise<ResultOf<MethodName>> {
  switch (call.method) {
    case 'auth':
      return session.authenticate(call.params.token);
    case 'ping':
      return { pong: true, server: core.serverName, store: core.storeStatus() };
    case 'submit': {
      const row = core.types.accept(call.params);
      const { ids, duplicates } = await core.committer.submit([
        row instanceof Promise ? await row : row,
      ]);
      return duplicates.length > 0
        ? { id: String(ids[0]), duplicate: true }
        : { id: String(ids[0]) };
    }
    case 'run': {
      // The waiter is registered as the submit commits, before any change to the task can
      // be reported (even one in the same batch), so no read back is needed. A duplicate
      // (its key was held) waits for the task holding the key, which may be finished.
      let done: Promise<TaskView> | undefined;
      const row = core.types.accept(call.params);
      const { ids } = await core.committer.submit(
        [row instanceof Promise ? await row : row],
        ({ ids: [id], duplicates: dup }) => {
          if (dup.length === 0) done = watch(core, session, id!, false).done;
        },
      );
      return done ?? waitFor(core, session, String(ids[0]), false);
    }
    case 'submitMany': {
      const rows = core.types.acceptMany(call.params.tasks);
      const { ids, duplicates } = await core.committer.submit(
        rows instanceof Promise ? await rows : rows,
      );
      if (duplicates.length === 0) return { ids: ids.map(String) };
      const duplicate = ids.map(() => false);
      for (const i of duplicates) duplicate[i] = true;
      return { ids: ids.map(String), duplicate };
    }
    case 'status': {
      const task = await core.store.get(taskId(call.params.id), call.params.attempts ?? false);
      if (!task) throw await missing(core, call.params.id);
      return taskView(task);
    }
    case 'wait':
      return waitFor(core, session, call.params.id, call.params.updates ?? false);
    case 'cancel': {
      const outcome = await core.committer.cancel(taskId(call.params.id));
      if (outcome.ok) return taskView(outcome.task);
      if (outcome.reason === 'not_found') throw await missing(core, call.params.id);
      throw new TaskwireError(
        ErrorCode.TASK_NOT_CANCELABLE,
        `task ${call.params.id} is ${outcome.status}; a finished task cannot be canceled`,
        { data: { id: call.params.id, status: outcome.status } },
      );
    }
    case 'retry':
      // A pruned id says so (TASK_PRUNED), as status does.
      return operator.retry(core.operator, session, call.params).catch(async (error: unknown) => {
        if (!(error instanceof TaskwireError) || error.code !== ErrorCode.TASK_NOT_FOUND)
          throw error;
        throw await missing(core, call.params.id);
      });
    case 'retryMany':
      return operator.retryMany(core.operator, session, call.params);
    case 'pause':
      return operator.pause(core.operator, call.params);
    case 'resume':
      return operator.resume(core.operator, call.params);
    case 'types':
      return { types: await core.operator.types() };
    case 'workers':
      return { workers: core.listWorkers() };
    case 'tally.create': {
      // Refused like a submit when nothing here runs tally tasks.
      const check = core.types.accept({ type: 'tally', data: 0 });
      if (check instanceof Promise) await check;
      const { id, created } = await core.store.createTally(
        { ...call.params, maxAttempts: core.maxAttempts },
        core.now(),
      );
      if (created) core.scheduler.workAppeared(['tally']);
      return { id: String(id), created };
    }
    case 'tally.status': {
      const wanted = call.params?.id;
      const n = wanted === undefined ? undefined : parseTaskId(wanted);
      const tally =
        wanted !== undefined && n === undefined
          ? undefined
          : await core.store.tally(n === undefined ? {} : { id: n });
      if (!tally && n !== undefined && n <= (await core.store.prunedMarks()).tally) {
        throw new TaskwireError(
          ErrorCode.TASK_PRUNED,
          `tally ${wanted} was finished and has been deleted by retention`,
          { data: { tally: wanted } },
        );
      }
      if (!tally) {
        throw new TaskwireError(
          ErrorCode.TALLY_NOT_FOUND,
          wanted ? `no such tally: ${wanted}` : 'no tally has been created yet',
        );
      }
      return tallyView(tally, core.now());
    }
    case 'schedule.add': {
      const { schedule, created } = await core.schedules.add(call.params, (spec) =>
        core.types.accept(spec),
      );
      return { ...scheduleView(schedule), created };
    }
    case 'schedule.list':
      return { schedules: (await core.schedules.list()).map(scheduleView) };
    case 'schedule.remove':
      await core.schedules.remove(call.params.name);
      return { removed: true };
    case 'worker.hello':
      return session.becomeWorker(call.params);
    case 'worker.complete':
      return requireWorker(session).complete(call.params);
    case 'worker.fail':
      return requireWorker(session).fail(call.params);
    case 'worker.extend':
      return requireWorker(session).extend(call.params);
    case 'worker.progress':
      return requireWorker(session).progress(call.params);
    case 'worker.resume':
      return requireWorker(session).resume();
  }
}
