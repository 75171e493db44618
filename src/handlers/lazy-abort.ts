/**
 * An abort controller made only when somebody asks for its signal. Most tasks end without
 * looking at theirs (a no-op, a pure transform): an AbortController and its signal per task
 * were a fifth of a worker's time per task. Aborting before the signal exists is remembered:
 * a signal asked for later comes already aborted, with the reason.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why it was aborted (undefined while it is not). */
  get reason(): unknown {
    return this.#reason;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
