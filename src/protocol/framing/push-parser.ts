/**
 * The shared push loop of the framers: chunks pushed from inside a callback are queued and
 * framed after the current one, so messages always come out in stream order; a callback
 * that throws leaves the unframed rest in the backlog for the next push. A paused parser
 * queues what it is pushed, and a framer that honours `paused` stops mid-chunk.
 */
export abstract class PushParser {
  /** Chunks not framed yet: pushed from a callback, or left over when a callback threw. */
  protected backlog: Buffer[] = [];
  /** Set for good after an error or overflow: every later push is ignored. */
  protected stopped = false;
  /** While set, nothing is framed: chunks wait in the backlog (see LineFramer.pause). */
  protected paused = false;
  private feeding = false;

  /** Frames one chunk of the stream; ignored once the parser has stopped. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.feeding || this.paused) {
      this.backlog.push(chunk);
      return;
    }
    this.feeding = true;
    try {
      if (this.backlog.length === 0) this.feed(chunk);
      else this.backlog.push(chunk);
      while (this.backlog.length > 0 && !this.stopped && !this.paused) {
        this.feed(this.backlog.shift()!);
      }
    } finally {
      this.feeding = false;
    }
  }

  /** Frames one chunk; may call back, and may throw what a callback threw. */
  protected abstract feed(chunk: Buffer): void;
}
