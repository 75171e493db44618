/**
 * A minimal, fast client for beanstalkd's text protocol (protocol.txt of beanstalkd 1.x):
 * put, use, watch, ignore, reserve, reserve-with-timeout, delete.
 *
 * Commands are pipelined: every command issued in the same tick is written in one
 * `socket.write`, and replies are matched to commands in order (beanstalkd answers each
 * connection's commands in the order it received them). Replies are parsed from a byte
 * buffer, so `RESERVED <id> <bytes>\r\n<data>\r\n` may arrive split across TCP chunks.
 */
import net from 'node:net';

/** One reply: its first word, the rest of the line split on spaces, and the data block. */
export interface Reply {
  word: string;
  args: string[];
  body: Buffer | undefined;
}

/** A reserved job: ids are kept as the decimal strings the server sent. */
export interface Job {
  id: string;
  body: Buffer;
}

type ReplyCallback = (err: Error | null, reply: Reply | undefined) => void;

/** Replies that carry a data block after their line. */
const WITH_BODY = new Set(['RESERVED', 'OK', 'FOUND']);
/** Replies that mean the command failed whatever it was. */
const GENERAL_ERRORS = new Set([
  'OUT_OF_MEMORY',
  'INTERNAL_ERROR',
  'BAD_FORMAT',
  'UNKNOWN_COMMAND',
]);
const EMPTY = Buffer.alloc(0);

export class BeanstalkError extends Error {
  override name = 'BeanstalkError';
}

export class BeanstalkClient {
  private readonly socket: net.Socket;
  /** Callbacks of commands written (or about to be), oldest first, from `head` on. */
  private pending: ReplyCallback[] = [];
  private head = 0;
  private inbuf: Buffer = EMPTY;
  private outbuf = '';
  private flushQueued = false;
  private closedWith: Error | null = null;
  /** Called once when the connection ends or fails (after pending commands were failed). */
  onClose: ((err: Error) => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new BeanstalkError('beanstalkd connection closed')));
  }

  /** Connects to beanstalkd on host:port, failing after timeoutMs. */
  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<BeanstalkClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BeanstalkError(`connect to beanstalkd ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BeanstalkClient(socket));
      });
    });
  }

  /** Commands sent whose reply has not come yet. */
  get inFlight(): number {
    return this.pending.length - this.head;
  }

  /** Queues one command line (and data block); it is written with the others of this tick. */
  command(line: string, cb: ReplyCallback, body?: string): void {
    if (this.closedWith) {
      const err = this.closedWith;
      queueMicrotask(() => cb(err, undefined));
      return;
    }
    this.outbuf += body === undefined ? `${line}\r\n` : `${line}\r\n${body}\r\n`;
    this.pending.push(cb);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.outbuf === '' || this.closedWith) return;
    const out = this.outbuf;
    this.outbuf = '';
    this.socket.write(out);
  }

  // ---- callback API (no promise per command: what the workers use) ----

  putCb(data: string, cb: (err: Error | null, id: string) => void, pri = 1024, ttr = 60): void {
    this.command(
      `put ${pri} 0 ${ttr} ${Buffer.byteLength(data)}`,
      (err, r) => {
        if (err) cb(err, '');
        else if (r!.word === 'INSERTED') cb(null, r!.args[0]!);
        else cb(unexpected('put', r!), '');
      },
      data,
    );
  }

  /** reserve (timeoutS undefined: wait forever) or reserve-with-timeout; null on TIMED_OUT. */
  reserveCb(cb: (err: Error | null, job: Job | null) => void, timeoutS?: number): void {
    this.command(
      timeoutS === undefined ? 'reserve' : `reserve-with-timeout ${timeoutS}`,
      (err, r) => {
        if (err) cb(err, null);
        else if (r!.word === 'RESERVED') cb(null, { id: r!.args[0]!, body: r!.body! });
        else if (r!.word === 'TIMED_OUT' || r!.word === 'DEADLINE_SOON') cb(null, null);
        else cb(unexpected('reserve', r!), null);
      },
    );
  }

  deleteCb(id: string, cb: (err: Error | null) => void): void {
    this.command(`delete ${id}`, (err, r) => {
      if (err) cb(err);
      else if (r!.word === 'DELETED') cb(null);
      else cb(unexpected(`delete ${id}`, r!));
    });
  }

  // ---- promise API ----

  put(data: string, pri = 1024, ttr = 60): Promise<string> {
    return new Promise((resolve, reject) =>
      this.putCb(data, (err, id) => (err ? reject(err) : resolve(id)), pri, ttr),
    );
  }

  /** Writes `count` puts of `data` at once (one write) and resolves when all are INSERTED. */
  putMany(data: string, count: number, pri = 1024, ttr = 60): Promise<void> {
    return new Promise((resolve, reject) => {
      let left = count;
      let failed = false;
      if (count === 0) resolve();
      for (let i = 0; i < count; i++) {
        this.putCb(
          data,
          (err) => {
            if (failed) return;
            if (err) {
              failed = true;
              reject(err);
            } else if (--left === 0) resolve();
          },
          pri,
          ttr,
        );
      }
    });
  }

  reserve(timeoutS?: number): Promise<Job | null> {
    return new Promise((resolve, reject) =>
      this.reserveCb((err, job) => (err ? reject(err) : resolve(job)), timeoutS),
    );
  }

  delete(id: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.deleteCb(id, (err) => (err ? reject(err) : resolve())),
    );
  }

  use(tube: string): Promise<void> {
    return this.simple(`use ${tube}`, 'USING');
  }

  watch(tube: string): Promise<void> {
    return this.simple(`watch ${tube}`, 'WATCHING');
  }

  ignore(tube: string): Promise<void> {
    return this.simple(`ignore ${tube}`, 'WATCHING');
  }

  private simple(line: string, expected: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.command(line, (err, r) => {
        if (err) reject(err);
        else if (r!.word === expected) resolve();
        else reject(unexpected(line, r!));
      }),
    );
  }

  /** Closes the connection; commands still pending fail. */
  close(): void {
    this.socket.destroy();
    this.fail(new BeanstalkError('beanstalkd connection closed by the client'));
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.socket.destroy();
    const callbacks = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    for (const cb of callbacks) cb(err, undefined);
    this.onClose?.(err);
  }

  private onData(chunk: Buffer): void {
    const buf = this.inbuf.length === 0 ? chunk : Buffer.concat([this.inbuf, chunk]);
    let pos = 0;
    while (pos < buf.length) {
      const eol = buf.indexOf(13, pos); // \r; replies never contain one before their \r\n
      if (eol < 0 || eol + 1 >= buf.length) break;
      const line = buf.toString('latin1', pos, eol);
      const parts = line.split(' ');
      const word = parts[0]!;
      let next = eol + 2;
      let body: Buffer | undefined;
      if (WITH_BODY.has(word)) {
        const bytes = Number(parts[parts.length - 1]);
        if (buf.length < next + bytes + 2) break; // the data block is not all here yet
        body = buf.subarray(next, next + bytes);
        next += bytes + 2;
      }
      pos = next;
      this.dispatch({ word, args: parts.slice(1), body });
      if (this.closedWith) return;
    }
    this.inbuf = pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(pos));
  }

  private dispatch(reply: Reply): void {
    if (this.head >= this.pending.length) {
      this.fail(new BeanstalkError(`unexpected reply with no command pending: ${reply.word}`));
      return;
    }
    const cb = this.pending[this.head++]!;
    if (this.head >= 4096 && this.head * 2 >= this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    if (GENERAL_ERRORS.has(reply.word))
      cb(new BeanstalkError(`beanstalkd: ${reply.word}`), undefined);
    else cb(null, reply);
  }
}

function unexpected(command: string, r: Reply): BeanstalkError {
  return new BeanstalkError(
    `beanstalkd answered ${[r.word, ...r.args].join(' ')} to ${command.split(' ')[0]}`,
  );
}
