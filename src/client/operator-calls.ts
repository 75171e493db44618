/**
 * The client's operator calls (retry, retryMany, pause, resume, types): a base of Client,
 * over its typed `call`. With authentication on they need a token with the `admin` role.
 */
import { TypedEmitter } from '../events/emitter.ts';
import type { MethodName, ResultOf } from '../protocol/messages.ts';
import type { TaskView, TypeView } from '../protocol/tasks.ts';
import {
  type ClientEvents,
  type ParamsArgs,
  type RetryManyOptions,
  retryManyParams,
} from './options.ts';

export abstract class OperatorCalls extends TypedEmitter<ClientEvents> {
  /** Calls any method with typed params and result. */
  abstract call<M extends MethodName>(method: M, ...args: ParamsArgs<M>): Promise<ResultOf<M>>;

  /** Puts a failed or canceled task back in the queue with a fresh attempt budget. */
  retry(id: string): Promise<TaskView> {
    return this.call('retry', { id });
  }

  /** Retries every failed (or canceled) task of a type, created since a time; how many. */
  async retryMany(opts: RetryManyOptions = {}): Promise<number> {
    return (await this.call('retryMany', retryManyParams(opts))).retried;
  }

  /** Stops handing out tasks of a type (stored; on every server); false: paused already. */
  async pause(type: string): Promise<boolean> {
    return (await this.call('pause', { type })).changed;
  }

  /** Hands out tasks of a paused type again; false when it was not paused. */
  async resume(type: string): Promise<boolean> {
    return (await this.call('resume', { type })).changed;
  }

  /** Every task type with its tasks per status and whether it is paused. */
  async types(): Promise<TypeView[]> {
    return (await this.call('types')).types;
  }
}
