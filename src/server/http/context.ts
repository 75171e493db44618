/**
 * What the HTTP routes may use of the server: read-only views of its parts, and the
 * operator's actions. Built by the server's assembly; the routes import nothing else of it.
 */
import type { TypedEmitter } from '../../events/emitter.ts';
import type { WorkerInfo } from '../../protocol/messages.ts';
import type { Store } from '../../store/types.ts';
import type { ServerEvents } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { StoreStatus } from '../store-health.ts';
import type { Csrf } from './csrf.ts';
import type { Operator } from './operator.ts';

export interface HttpContext {
  readonly store: Store;
  readonly events: TypedEmitter<ServerEvents>;
  readonly log: Logger;
  readonly metrics: ServerMetrics;
  /** Whether the store answers, and why not while it does not. */
  storeHealth(): { status: StoreStatus; error?: string | undefined };
  now(): number;
  /** The workers taking tasks: the built-in executor and the connected ones. */
  workers(): WorkerInfo[];
  readonly operator: Operator;
  /** `--http-read-only`: no actions shown, and none taken. */
  readonly readOnly: boolean;
  readonly csrf: Csrf;
}
