/**
 * The task port: a TCP listener whose connections each become a Connection. It binds
 * before the store opens, so a busy port fails the start before a database is created;
 * connections accepted before the server is ready wait, unread, until `serve`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TypedEmitter } from '../../events/emitter.ts';
import type { ServerEvents } from '../events.ts';
import type { Logger } from '../logger.ts';
import { Connection, type ConnectionDeps } from './connection.ts';

export class TaskListener {
  private readonly net: Server;
  private readonly connections = new Set<Connection>();
  private early: Socket[] | undefined = [];
  private deps: ConnectionDeps | undefined;
  private closing = false;

  constructor(
    private readonly events: TypedEmitter<ServerEvents>,
    private readonly log: Logger,
  ) {
    this.net = createServer((socket) => this.accept(socket));
  }

  /** Binds the port; rejects (EADDRINUSE, EACCES…) without having touched anything else. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.net.once('error', reject);
      // A deep accept queue: a thousand clients connecting at once are not dropped by the
      // kernel (Node's default is 511; the kernel caps it at somaxconn).
      this.net.listen({ port, host, backlog: 4096 }, () => {
        this.net.off('error', reject);
        resolve(this.address);
      });
    });
  }

  get address(): { host: string; port: number } {
    const a = this.net.address();
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
  }

  /** Stops accepting; connections already open stay until `endAll`. */
  stopAccepting(): Promise<void> {
    this.closing = true;
    for (const s of this.early ?? []) s.destroy();
    this.early = [];
    return new Promise((resolve) => {
      if (!this.net.listening) resolve();
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
    const conn = new Connection(socket, deps);
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
    this.events.emit('connection:opened', { remote: conn.remote });
    this.log.info({ remote: conn.remote }, 'client connected');
  }
}
