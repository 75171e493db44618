/**
 * An abort controller made only when somebody asks for its signal. Most tasks end without
 * looking at theirs (a no-op, a pure transform): an AbortController and its signal per task
 * were a fifth of a worker's time per task. Aborting before the signal exists is remembered:
 * a signal asked for later comes already aborted, with the reason.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private wasAborted = false;
  private abortReason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.wasAborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.wasAborted;
  }

  /** Why it was aborted (undefined while it is not). */
  get reason(): unknown {
    return this.abortReason;
  }

  abort(reason: unknown): void {
    if (this.wasAborted) return;
    this.wasAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
