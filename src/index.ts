/** taskwire's public API. */

export * from './client/index.ts';
export type { TaskContext, TaskHandler, TaskInput } from './handlers/run-handler.ts';
export {
  type AttemptState,
  type Json,
  KEY_MAX_LENGTH,
  PRIORITY_MAX,
  PRIORITY_MIN,
  TASK_STATUSES,
  type TaskStatus,
} from './model/tasks.ts';
export { ErrorCode, type ErrorCodeName, TaskwireError } from './protocol/errors.ts';
export type {
  Assignment,
  MethodName,
  Methods,
  ParamsOf,
  ResultOf,
  WorkerInfo,
} from './protocol/messages.ts';
export type {
  AttemptView,
  RetryView,
  ScheduleParams,
  ScheduleView,
  TaskSpec,
  TaskView,
  TypeView,
} from './protocol/tasks.ts';
export type { ServerEvents } from './server/events.ts';
export { type ServerOptions, TaskwireServer } from './server/server.ts';
export { openStoreFromOption, type StoreOptionSettings } from './store/open.ts';
export { PostgresStore } from './store/postgres/store.ts';
export { SqliteStore } from './store/sqlite/store.ts';
export type { Store } from './store/types.ts';
export { Worker, type WorkerEvents, type WorkerOptions } from './worker/worker.ts';
