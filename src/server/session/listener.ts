/**
 * The task port: a TCP (or TLS) listener whose connections each become a Connection. It
 * binds before the store opens, so a busy port fails the start before a database is created;
 * connections accepted before the server is ready wait, unread, until `serve`. It holds the
 * connection limits that span connections: how many, and the sweep of unfinished lines.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { TypedEmitter } from '../../events/emitter.ts';
import type { ServerEvents } from '../events.ts';
import type { Logger } from '../logger.ts';
import { Connection, type ConnectionDeps } from './connection.ts';
import { tooManyConnectionsLine } from './limits.ts';
import { handshakeProblem, readTlsFiles, type TlsFiles, tlsServerOptions } from './tls.ts';

export interface ListenerOptions {
  maxConnections: number;
  /** How often unfinished lines are looked at: the line timeout's resolution. */
  lineSweepMs: number;
  /** Serve TLS with these files (read at `listen`, again at `reloadTls`). */
  tls?: { files: TlsFiles; handshakeTimeoutMs: number };
}

export class TaskListener {
  private net: Server | undefined;
  private readonly connections = new Set<Connection>();
  private early: Socket[] | undefined = [];
  private deps: ConnectionDeps | undefined;
  private closing = false;
  private sweep: NodeJS.Timeout | undefined;
  /** Raw sockets of the TLS port, handshaking or not (a flood backstop). */
  private rawSockets = 0;

  constructor(
    private readonly events: TypedEmitter<ServerEvents>,
    private readonly log: Logger,
    private readonly opts: ListenerOptions = { maxConnections: Infinity, lineSweepMs: 1000 },
  ) {}

  private create(): Server {
    const tls = this.opts.tls;
    if (!tls) return createServer((socket) => this.accept(socket));
    const server: TlsServer = createTlsServer(
      tlsServerOptions(tls.files, tls.handshakeTimeoutMs),
      (socket) => this.accept(socket),
    );
    server.on('connection', (raw: Socket) => {
      // Past twice the cap the handshakes themselves are refused: no error line without TLS.
      if (this.rawSockets >= 2 * this.opts.maxConnections) {
        this.log.warn({ remote: raw.remoteAddress }, 'too many handshakes; closing');
        raw.destroy();
        return;
      }
      this.rawSockets++;
      raw.once('close', () => this.rawSockets--);
    });
    server.on('tlsClientError', (error, socket) => {
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      this.log.warn(
        { remote, code: (error as NodeJS.ErrnoException).code },
        `TLS handshake failed: ${handshakeProblem(error)}; closed`,
      );
      socket.destroy();
    });
    return server;
  }

  /**
   * Reads the TLS files again and serves new connections with them; connections open now
   * keep theirs. A file that cannot be read or used keeps the old ones and throws.
   */
  reloadTls(): boolean {
    const tls = this.opts.tls;
    if (!tls || !this.net) return false;
    (this.net as TlsServer).setSecureContext(readTlsFiles(tls.files));
    return true;
  }

  /** Binds the port; rejects (EADDRINUSE, EACCES…) without having touched anything else. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    let net: Server;
    try {
      net = this.net ??= this.create();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      net.once('error', reject);
      // A deep accept queue: a thousand clients connecting at once are not dropped by the
      // kernel (Node's default is 511; the kernel caps it at somaxconn).
      net.listen({ port, host, backlog: 4096 }, () => {
        net.off('error', reject);
        resolve(this.address);
      });
    });
  }

  get address(): { host: string; port: number } {
    const a = this.net?.address();
    if (!a || typeof a === 'string') throw new Error('the server is not listening');
    return { host: a.address, port: a.port };
  }

  /** Open connections by role: workers (said worker.hello), legacy (seed lines), clients. */
  roles(): { client: number; worker: number; legacy: number } {
    const roles = { client: 0, worker: 0, legacy: 0 };
    for (const c of this.connections) roles[c.worker ? 'worker' : c.legacy ? 'legacy' : 'client']++;
    return roles;
  }

  /** Starts serving: connections accepted so far, and every later one. */
  serve(deps: ConnectionDeps): void {
    this.deps = deps;
    const early = this.early ?? [];
    this.early = undefined;
    for (const socket of early) {
      this.attach(socket, deps);
      socket.resume();
    }
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) c.checkLine(now);
    }, this.opts.lineSweepMs);
    this.sweep.unref();
  }

  /** Stops accepting; connections already open stay until `endAll`. */
  stopAccepting(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweep);
    for (const s of this.early ?? []) s.destroy();
    this.early = [];
    return new Promise((resolve) => {
      if (!this.net?.listening) resolve();
      else this.net.close(() => resolve());
    });
  }

  /** Ends every connection after what is queued for it has been written. */
  endAll(): void {
    for (const c of this.connections) c.end();
    for (const c of this.connections) c.socket.destroySoon();
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (!this.deps) {
      socket.pause();
      socket.on('error', () => undefined);
      this.early?.push(socket);
      return;
    }
    this.attach(socket, this.deps);
  }

  private attach(socket: Socket, deps: ConnectionDeps): void {
    const max = this.opts.maxConnections;
    if (this.connections.size >= max) {
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      this.log.warn({ remote, limit: max }, 'too many connections; refused');
      socket.on('error', () => undefined);
      socket.resume(); // what it sends is dropped: unread bytes would make the close a reset
      socket.end(tooManyConnectionsLine(max));
      socket.destroySoon();
      return;
    }
    const conn = new Connection(socket, deps);
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
    this.events.emit('connection:opened', { remote: conn.remote });
    this.log.info({ remote: conn.remote }, 'client connected');
  }
}
