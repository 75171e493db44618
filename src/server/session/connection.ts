/**
 * One client connection: frames its bytes into lines, tells the two protocols apart line by
 * line (a native line starts with `{` or `[`; anything else is the seed's line protocol),
 * and coalesces outgoing lines into one socket write per microtask.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { TypedEmitter } from '../../events/emitter.ts';

import type { TaskwireError } from '../../protocol/errors.ts';
import { checkJsonLimits } from '../../protocol/framing/json-limits.ts';
import { decodeUtf8, LineFramer } from '../../protocol/framing/ndjson.ts';
import type {
  NotificationName,
  Notifications,
  ParamsOf,
  ResultOf,
} from '../../protocol/messages.ts';
import { openAuthResult, SessionAccess, type TaskPortAuth } from '../auth/session-access.ts';
import type { ServerEvents } from '../events.ts';
import type { WorkerConnection, WorkerMethods } from '../scheduling/remote-workers.ts';
import type { Core, Session } from './dispatch.ts';
import {
  lineTimeoutLine,
  payloadTooComplexLine,
  type SessionLimits,
  topLevelId,
} from './limits.ts';
import { ReadGate } from './read-gate.ts';
import {
  AnswerTooLarge,
  errorResponse,
  handleRpcLine,
  invalidUtf8Response,
  lineTooLongResponse,
  type RpcContext,
  SerializedAnswer,
} from './rpc.ts';
import { handleSeedLine } from './seed-compat.ts';

export interface ConnectionDeps {
  core: Core;
  maxLineBytes: number;
  /** Requests one connection may have in flight before it stops being read (ReadGate). */
  maxInFlight: number;
  limits: SessionLimits;
  log: Logger;
  events: TypedEmitter<ServerEvents>;
  closing(): boolean;
  /** With `--auth-file`: tokens, roles and the auth timeout (see server/auth/). */
  auth?: TaskPortAuth;
  /** Turns the connection into a remote worker (`worker.hello`). */
  helloWorker(
    conn: Connection,
    params: ParamsOf<'worker.hello'>,
  ): Promise<ResultOf<'worker.hello'>>;
}

/** The answers to a seed line the access check refused (the seed client prints them). */
const LEGACY_REFUSALS = {
  refused:
    'Refused: this server needs a token; seed lines are served only with --legacy, to clients on its own machine',
  forbidden: 'Refused: this token lacks the client role',
};

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
/** The first byte of a TLS record carrying a handshake (a ClientHello on a plain port). */
const TLS_HANDSHAKE = 0x16;

function firstNonBlank(line: Buffer): number | undefined {
  for (let i = 0; i < line.length; i++) {
    const b = line[i]!;
    if (b !== 0x20 && b !== 0x09) return b;
  }
  return undefined;
}

export class Connection implements Session, WorkerConnection {
  readonly remote: string;
  worker?: WorkerMethods;
  private readonly framer: LineFramer;
  private readonly rpc: RpcContext;
  private readonly gate: ReadGate;
  private out: string[] = [];
  /** Characters in `out` (what send queued and flush has not yet given the socket). */
  private outChars = 0;
  /** Closes the connection when the peer takes none of our answers for the write deadline. */
  private writeDeadline: NodeJS.Timeout | undefined;
  /** When the unfinished line started (0: none), for the line timeout (checkLine). */
  private lineSince = 0;
  private linesSeen = 0;
  private fresh = true;
  private flushQueued = false;
  private seedChain: Promise<void> = Promise.resolve();
  /** The connection spoke the seed's line protocol (a legacy client, for metrics). */
  legacy = false;
  private readonly cleanups = new Set<() => void>();
  private closed = false;
  /** When bytes last arrived (the remote-worker watchdog reads it). */
  lastSeen = Date.now();
  /** With auth on: who this connection is and what it may call. */
  readonly access: SessionAccess | undefined;

  /** Who the connection authenticated as, with its address; undefined without auth. */
  get identity(): string | undefined {
    const name = this.access?.name;
    return name && `${name}@${this.remote}`;
  }

  constructor(
    readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.framer = new LineFramer({
      maxLineBytes: deps.maxLineBytes,
      onLine: (line) => this.onLine(line),
      onOverflow: () => this.onOverflow(),
    });
    this.rpc = {
      core: deps.core,
      session: this,
      closing: deps.closing,
      onUnexpected: (error, method) =>
        deps.log.error({ err: error, method, remote: this.remote }, 'request failed'),
      answerBudget: () => deps.limits.maxPendingBytes - this.pendingBytes,
    };
    this.gate = new ReadGate(socket, deps.maxInFlight, {
      remote: this.remote,
      events: deps.events,
      onChange: (reason) => {
        // The socket stops reading from the kernel; the framer stops after the current line.
        if (reason) this.framer.pause();
        else this.framer.resume();
        deps.log.debug({ remote: this.remote, reason }, reason ? 'not reading' : 'reading again');
      },
    });
    this.access = deps.auth ? new SessionAccess(deps.auth, this) : undefined;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    socket.on('data', (chunk: Buffer) => {
      const now = Date.now();
      this.lastSeen = now;
      if (this.fresh) {
        this.fresh = false;
        if (chunk[0] === TLS_HANDSHAKE && !(socket as { encrypted?: boolean }).encrypted) {
          deps.log.warn({ remote: this.remote }, 'TLS handshake on the plain port; closing');
          socket.destroy();
          return;
        }
      }
      const seen = this.linesSeen;
      this.framer.push(chunk);
      if (this.framer.pendingBytes === 0) this.lineSince = 0;
      else if (this.lineSince === 0 || this.linesSeen !== seen) this.lineSince = now;
    });
    socket.on('drain', () => {
      clearTimeout(this.writeDeadline);
      this.writeDeadline = undefined;
    });
    socket.on('error', (error) =>
      deps.log.debug({ err: error, remote: this.remote }, 'socket error'),
    );
    socket.on('close', () => this.onSocketClose());
  }

  notify<N extends NotificationName>(method: N, params: Notifications[N]): void {
    this.send(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => {};
    }
    // Wrapped, so that the same function registered twice runs twice and is removed once.
    const hook = () => fn();
    this.cleanups.add(hook);
    return () => void this.cleanups.delete(hook);
  }

  authenticate(token: string): Promise<{ roles: string[] }> | { roles: string[] } {
    return this.access ? this.access.authenticate(token) : openAuthResult();
  }

  /** Sends `error` (no request id), then closes: a refused authentication. */
  refuse(error: TaskwireError): void {
    this.send(`${JSON.stringify(errorResponse(null, error.code, error.message))}\n`);
    this.closeAfterWrite();
  }

  /** Stops framing lines until `resume` (an auth attempt waits out the throttle). */
  hold(): void {
    this.framer.pause();
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
    this.framer.resume();
  }

  becomeWorker(params: ParamsOf<'worker.hello'>): Promise<ResultOf<'worker.hello'>> {
    return this.deps.helloWorker(this, params);
  }

  /** Whether the socket is taking our writes (false while its buffer is over the mark). */
  get writable(): boolean {
    return !this.closed && !this.socket.destroyed && !this.socket.writableNeedDrain;
  }

  onDrain(fn: () => void): void {
    this.socket.on('drain', fn);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Ends the connection after what is queued has been written. */
  end(): void {
    this.flush();
    this.socket.end();
  }

  /** Ends the connection once what is queued is written, and then drops it. */
  private closeAfterWrite(): void {
    // Nothing more is read: what the peer sends now would only pile up in the framer.
    this.framer.pause();
    this.socket.pause();
    this.flush();
    this.socket.end(() => this.socket.destroy());
  }

  send(text: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.outChars += text.length;
    if (this.outChars + this.socket.writableLength > this.deps.limits.maxPendingBytes) {
      this.slowConsumer('answers waiting past the byte cap');
      return;
    }
    this.out.push(text);
    if (!this.flushQueued) {
      this.flushQueued = true;
      // nextTick, not a microtask: Node runs it once the microtask queue is empty, so what
      // one commit sends a connection through its promise chains (a worker's next tasks and
      // the answer to its report, a batch of answers) leaves in one write, in the same turn.
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.out.length === 0 || this.closed) return;
    const out = this.out;
    this.out = [];
    this.outChars = 0;
    let accepted: boolean;
    try {
      accepted = this.socket.write(out.length === 1 ? out[0]! : out.join(''));
    } catch (error) {
      // A write that cannot happen (RangeError: Invalid string length) ends this connection only.
      this.deps.log.warn({ err: error, remote: this.remote }, 'write failed; closing');
      this.socket.destroy();
      return;
    }
    if (!accepted && this.writeDeadline === undefined && !this.closed) {
      const ms = this.deps.limits.writeDeadlineMs;
      this.writeDeadline = setTimeout(() => {
        this.writeDeadline = undefined;
        if (this.socket.writableLength > 0) this.slowConsumer(`no answer taken for ${ms} ms`);
      }, ms);
    }
    this.gate.wrote(accepted);
  }

  /** Bytes of answers waiting for the peer: queued here and in the socket's buffer. */
  get pendingBytes(): number {
    return this.outChars + this.socket.writableLength;
  }

  /**
   * Closes the connection if its unfinished line started more than the line timeout before
   * `now` (slowloris; a byte-a-second sender). Time spent not reading it (flow control) is
   * not held against it. The listener calls this for every connection now and then.
   */
  checkLine(now: number): void {
    if (this.lineSince === 0 || this.closed) return;
    if (this.framer.pendingBytes === 0 || this.socket.isPaused()) {
      this.lineSince = this.framer.pendingBytes === 0 ? 0 : now;
      return;
    }
    const ms = this.deps.limits.lineTimeoutMs;
    if (now - this.lineSince < ms) return;
    this.deps.log.warn(
      { remote: this.remote, pendingBytes: this.framer.pendingBytes, limitMs: ms },
      'line not finished in time; closing',
    );
    this.lineSince = 0;
    this.send(lineTimeoutLine(ms));
    this.end();
    this.socket.destroySoon();
  }

  /** Sends an answer; one that cannot be serialized closes this connection only. */
  private answer(response: unknown): void {
    let text: string;
    try {
      text = response instanceof SerializedAnswer ? response.text : JSON.stringify(response);
    } catch (error) {
      this.deps.log.warn({ err: error, remote: this.remote }, 'answer cannot be written; closing');
      this.socket.destroy();
      return;
    }
    this.send(`${text}\n`);
  }

  private slowConsumer(why: string): void {
    const pendingBytes = this.pendingBytes;
    this.out = [];
    this.outChars = 0;
    this.deps.log.warn(
      { remote: this.remote, pendingBytes, limit: this.deps.limits.maxPendingBytes },
      `slow consumer: ${why}; closing`,
    );
    this.socket.destroy();
  }

  private onLine(line: Buffer): void {
    this.linesSeen++;
    if (this.closed || this.socket.destroyed || this.access?.refused) return;
    if (this.pendingBytes > this.deps.limits.maxPendingBytes) {
      this.slowConsumer('answers waiting past the byte cap');
      return;
    }
    const first = firstNonBlank(line);
    const native = first === OPEN_BRACE || first === OPEN_BRACKET;
    if (native) {
      const problem = checkJsonLimits(line, this.deps.limits.json);
      if (problem) {
        this.deps.log.warn({ remote: this.remote, ...problem }, 'request too complex; refused');
        this.send(payloadTooComplexLine(topLevelId(line), problem));
        return;
      }
    }
    const text = decodeUtf8(line);
    if (native) {
      if (text === undefined) {
        const refused = this.access?.beforeAuth();
        if (refused) this.refuse(refused);
        else this.send(`${JSON.stringify(invalidUtf8Response())}\n`);
        return;
      }
      this.gate.started();
      handleRpcLine(text, this.rpc)
        .then(
          (response) => {
            if (response !== undefined) this.answer(response);
            if (this.access?.refused) this.closeAfterWrite();
          },
          (error: unknown) => {
            if (error instanceof AnswerTooLarge) this.slowConsumer(error.message);
            else
              this.deps.log.error({ err: error, remote: this.remote }, 'unhandled request failure');
          },
        )
        .finally(() => this.gate.finished());
      return;
    }
    // The seed's client waits for each answer before it asks again; answering in order
    // keeps pipelined seed lines in order too.
    this.gate.started();
    this.legacy = true;
    // Checked as the line arrives (a seed line acts as a client: see SessionAccess).
    const permit = this.access?.permitLegacyLine() ?? 'ok';
    this.seedChain = this.seedChain.then(async () => {
      try {
        const answer =
          permit !== 'ok'
            ? LEGACY_REFUSALS[permit]
            : text === undefined
              ? 'Impossible to handle: invalid UTF-8'
              : await handleSeedLine(text, this.deps.core, (error) =>
                  this.deps.log.error({ err: error, remote: this.remote }, 'seed request failed'),
                );
        this.send(`${answer}\n`);
        if (permit === 'refused') this.closeAfterWrite();
      } finally {
        this.gate.finished();
      }
    });
  }

  private onOverflow(): void {
    this.deps.log.warn(
      { remote: this.remote, limit: this.deps.maxLineBytes },
      'line too long; closing',
    );
    this.send(`${JSON.stringify(lineTooLongResponse(this.deps.maxLineBytes))}\n`);
    this.end();
  }

  private onSocketClose(): void {
    if (this.closed) return;
    const midLine = this.framer.pendingBytes > 0;
    this.closed = true;
    clearTimeout(this.writeDeadline);
    this.access?.dispose();
    const hooks = [...this.cleanups];
    this.cleanups.clear();
    for (const fn of hooks) fn();
    this.deps.events.emit('connection:closed', { remote: this.remote, midLine });
    this.deps.log.info(
      { remote: this.remote, midLine },
      midLine ? 'client left mid-line' : 'client left',
    );
  }
}
