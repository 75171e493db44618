/** What a method handler may do with the connection it serves (dispatch.ts, operator-methods.ts). */
import type {
  NotificationName,
  Notifications,
  ParamsOf,
  ResultOf,
} from '../../protocol/messages.ts';
import type { SessionAccess } from '../auth/session-access.ts';
import type { WorkerMethods } from '../scheduling/remote-workers.ts';

/** What a method handler may do with the connection it serves. */
export interface Session {
  readonly remote: string;
  /** Who the connection authenticated as (its token's short hash and roles), with auth on. */
  readonly identity?: string | undefined;
  notify<N extends NotificationName>(method: N, params: Notifications[N]): void;
  /**
   * Runs `fn` when the connection closes (at once if it is closed). Returns what cancels
   * that: a hook kept per request must go when its request ends, or a long-lived connection
   * would hold one per request it ever made.
   */
  onClose(fn: () => void): () => void;
  /** Worker methods, once the connection said `worker.hello`. */
  worker?: WorkerMethods;
  becomeWorker(params: ParamsOf<'worker.hello'>): Promise<ResultOf<'worker.hello'>>;
  /** With auth on: the role check of each request (rpc.ts) and the token's identity. */
  readonly access?: SessionAccess | undefined;
  /** The `auth` method (a server without auth grants every role). */
  authenticate(token: string): Promise<ResultOf<'auth'>> | ResultOf<'auth'>;
}
