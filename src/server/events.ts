/** The server's typed event map: tests and logs observe the server through it. */
import { EventEmitter } from 'node:events';
import type { TaskRecord } from '../store/types.ts';
import type { PauseReason } from './read-gate.ts';

export interface ServerEvents {
  'task:submitted': [ids: number[]];
  'task:leased': [taskId: number, token: number, worker: string];
  'task:changed': [task: TaskRecord];
  'lease:expired': [token: number, taskId: number, worker: string];
  'lease:stale': [token: number, worker: string];
  'worker:joined': [workerId: string, name: string];
  'worker:left': [workerId: string, name: string];
  'connection:opened': [remote: string];
  'connection:closed': [remote: string, midLine: boolean];
  /** The connection is no longer read (flow control, see ReadGate), until `resumed`. */
  'connection:paused': [remote: string, reason: PauseReason];
  'connection:resumed': [remote: string];
}

/** An EventEmitter whose event names and payloads are checked by the compiler. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> extends EventEmitter {
  override emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return super.emit(event, ...args);
  }
  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}
