/**
 * Flow control for one connection: its socket stops being read while the peer does not
 * read our answers (the socket's write buffer is over its high-water mark), or while it has
 * too many requests in flight. Either way the server holds a bounded amount for it, and the
 * peer's own writes back up in TCP until it catches up. Reading resumes when the socket
 * drains and the requests in flight are down to half the cap.
 */
import type { Socket } from 'node:net';
import type { TypedEmitter } from '../../events/emitter.ts';
import type { PauseReason, ServerEvents } from '../events.ts';

export class ReadGate {
  private inFlight = 0;
  private unread = false;
  private paused = false;

  /**
   * Each pause and resume is told as `connection:paused` / `connection:resumed` on `events`,
   * then to `onChange` (a reason while paused, undefined on resume).
   */
  constructor(
    private readonly socket: Socket,
    private readonly maxInFlight: number,
    private readonly observers: {
      remote: string;
      events?: TypedEmitter<ServerEvents>;
      onChange?: (reason: PauseReason | undefined) => void;
    },
  ) {
    socket.on('drain', () => {
      this.unread = false;
      this.update();
    });
  }

  /** A request was read and is being handled. */
  started(): void {
    this.inFlight++;
    if (this.inFlight >= this.maxInFlight) this.update();
  }

  /** A request got its answer (or needs none). */
  finished(): void {
    this.inFlight--;
    if (this.paused) this.update();
  }

  /** What `socket.write` returned: false when the peer is not keeping up with our answers. */
  wrote(accepted: boolean): void {
    if (accepted || this.unread) return;
    this.unread = true;
    this.update();
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  private update(): void {
    const reason = this.reason();
    if (reason !== undefined && !this.paused) {
      this.paused = true;
      this.socket.pause();
      this.changed(reason);
    } else if (reason === undefined && this.paused) {
      this.paused = false;
      this.socket.resume();
      this.changed(undefined);
    }
  }

  private changed(reason: PauseReason | undefined): void {
    const { remote, events, onChange } = this.observers;
    if (reason) events?.emit('connection:paused', { remote, reason });
    else events?.emit('connection:resumed', { remote });
    onChange?.(reason);
  }

  private reason(): PauseReason | undefined {
    if (this.unread) return 'unread-answers';
    // Paused at the cap, resumed at half of it: not one pause per request at the edge.
    const limit = this.paused ? Math.floor(this.maxInFlight / 2) : this.maxInFlight - 1;
    if (this.inFlight > limit) return 'requests-in-flight';
    return undefined;
  }
}
