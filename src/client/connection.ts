/**
 * The client's transport: opening a TCP socket, splitting it into lines, and coalescing the
 * lines written in one microtask into one `socket.write`.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls, { type ConnectionOptions } from 'node:tls';
import { LineFramer } from '../protocol/framing/ndjson.ts';
import { ConnectError, isTlsFailure, TlsError } from './errors.ts';

/** Flush at once past this many queued characters instead of waiting for the microtask. */
const FLUSH_AT_CHARS = 256 * 1024;
/** How long `close()` waits for the server to close its side before dropping the socket. */
const CLOSE_GRACE_MS = 2000;

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/** Delay before reconnect attempt `attempt` (1-based): 100 ms doubling to 5 s, ±20 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  return Math.min(MAX_BACKOFF_MS, Math.round(base * (0.8 + 0.4 * random())));
}

/**
 * Opens a TCP connection, or with `tlsOptions` a TLS one whose handshake (and certificate
 * check) is done; rejects with a ConnectError naming the address, or a TlsError.
 */
export function openSocket(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
  tlsOptions?: ConnectionOptions,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions
      ? tls.connect({
          ...tlsOptions,
          host,
          port,
          // SNI takes a name, not an address; the certificate is checked against either.
          ...(tlsOptions.servername === undefined && net.isIP(host) === 0 && { servername: host }),
        })
      : net.connect({ host, port });
    const fail = (cause: unknown) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(
        isTlsFailure(cause) ? new TlsError(host, port, cause) : new ConnectError(host, port, cause),
      );
    };
    const onAbort = () => fail('ECONNABORTED');
    const timer = setTimeout(() => fail('ETIMEDOUT'), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

export interface LineConnectionOptions {
  maxLineBytes: number;
  /** One non-empty line from the server, without its `\n`; a view on the chunk: copy to keep. */
  onLine: (line: Buffer) => void;
  /** The socket closed, with the first error seen on it, if any. Called once. */
  onClose: (error: Error | undefined) => void;
}

/** A connected socket that sends and receives newline-delimited messages. */
export class LineConnection {
  private readonly socket: net.Socket;
  private readonly closed: Promise<void>;
  private outbox: string[] = [];
  private outboxChars = 0;
  private flushQueued = false;
  private error: Error | undefined;

  constructor(socket: net.Socket, opts: LineConnectionOptions) {
    this.socket = socket;
    socket.setNoDelay(true);
    const framer = new LineFramer({
      maxLineBytes: opts.maxLineBytes,
      onLine: opts.onLine,
      onOverflow: (bytes) =>
        this.destroy(new Error(`server sent a line over ${opts.maxLineBytes} bytes (${bytes})`)),
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', (err) => {
      this.error ??= err;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.outbox = [];
        opts.onClose(this.error);
        resolve();
      });
    });
  }

  /** Queues one line (ending in `\n`); all lines queued in one microtask go out in one write. */
  send(line: string): void {
    this.outbox.push(line);
    this.outboxChars += line.length;
    if (this.outboxChars >= FLUSH_AT_CHARS) {
      this.flush();
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Drops the socket at once, reporting `error` to `onClose`. */
  destroy(error?: Error): void {
    this.error ??= error;
    this.socket.destroy();
  }

  /** Ends the connection, dropping lines not yet written; resolves once the socket is closed. */
  close(): Promise<void> {
    this.outbox = [];
    this.outboxChars = 0;
    if (!this.socket.destroyed) {
      this.socket.end();
      // A server that never closes its side must not keep close() waiting.
      const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.outbox.length === 0) return;
    const data = this.outbox.length === 1 ? this.outbox[0]! : this.outbox.join('');
    this.outbox = [];
    this.outboxChars = 0;
    if (this.socket.writable) this.socket.write(data);
  }
}

/**
 * Tries `addresses` in list order from `start` until one accepts a connection, and resolves
 * with what `open` makes of its socket; rejects with a ConnectError naming every address
 * tried. Another error (a TlsError, or what `open` throws, e.g. an AuthError) rejects at once.
 */
export async function connectFirst<T>(
  opts: {
    addresses: readonly { host: string; port: number }[];
    connectTimeoutMs: number;
    tls?: ConnectionOptions;
  },
  start: number,
  open: (socket: net.Socket, index: number) => Promise<T>,
): Promise<T> {
  const { addresses, connectTimeoutMs, tls } = opts;
  const failures: ConnectError[] = [];
  for (let k = 0; k < addresses.length; k++) {
    const index = (start + k) % addresses.length;
    const { host, port } = addresses[index]!;
    try {
      return await open(await openSocket(host, port, connectTimeoutMs, undefined, tls), index);
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      failures.push(err);
    }
  }
  throw ConnectError.all(failures);
}

/**
 * Tries the servers in list order starting with the one after `from` (the server that
 * dropped is likely down), cycling through all of them; each round over the list starts
 * after a backoff delay (100 ms doubling to 5 s), the other tries of a round go at once.
 * Resolves with the first socket opened, or undefined once `isClosed`, or after a TlsError,
 * told to `onRefused` (a certificate that does not verify is not mended by retrying).
 */
export async function reconnectSocket(opts: {
  addresses: readonly { host: string; port: number }[];
  connectTimeoutMs: number;
  tls?: ConnectionOptions;
  from: number;
  signal: AbortSignal;
  isClosed(): boolean;
  onRetry(index: number, attempt: number, round: number, delayMs: number): void;
  onRefused(error: TlsError): void;
}): Promise<{ socket: net.Socket; index: number } | undefined> {
  const { addresses, connectTimeoutMs, signal } = opts;
  const n = addresses.length;
  let index = opts.from;
  for (let attempt = 1; !opts.isClosed(); attempt++) {
    index = (index + 1) % n;
    const round = Math.ceil(attempt / n);
    const delayMs = (attempt - 1) % n === 0 ? backoffDelay(round) : 0;
    const { host, port } = addresses[index]!;
    opts.onRetry(index, attempt, round, delayMs);
    if (delayMs > 0) {
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        return undefined; // closed
      }
    }
    if (opts.isClosed()) return undefined;
    let socket: net.Socket;
    try {
      socket = await openSocket(host, port, connectTimeoutMs, signal, opts.tls);
    } catch (err) {
      if (!(err instanceof TlsError)) continue;
      if (!opts.isClosed()) opts.onRefused(err);
      return undefined;
    }
    if (opts.isClosed()) {
      socket.destroy();
      return undefined;
    }
    return { socket, index };
  }
  return undefined;
}
