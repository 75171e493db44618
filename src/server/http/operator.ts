/**
 * What an operator may do from the dashboard, as the server offers it. Cancel exists today
 * (an enqueued task); the others are optional and the dashboard shows their buttons only
 * when the server has them (retry, pause and resume arrive with the operations issue): an
 * assembly that adds them here lights them up, with no change to the pages.
 */
import type { CancelOutcome, TaskQuery } from '../../store/types.ts';

export interface Operator {
  cancel(id: number): Promise<CancelOutcome>;
  /** Runs a failed or canceled task again; false when it is not in a state to. */
  retry?(id: number): Promise<boolean>;
  /** Runs again every task the query matches that can be; resolves with how many. */
  retryMatching?(query: Omit<TaskQuery, 'limit' | 'scan' | 'before'>): Promise<number>;
  pause?(type: string): Promise<void>;
  resume?(type: string): Promise<void>;
  /** Types paused now. */
  pausedTypes?(): readonly string[];
}

/** Which of the optional actions the server offers (for the pages and the API). */
export function offered(op: Operator) {
  return {
    cancel: true,
    retry: op.retry !== undefined,
    retryMatching: op.retryMatching !== undefined,
    pause: op.pause !== undefined && op.resume !== undefined,
  };
}
