/** Test helpers: a real server on an ephemeral port with its own SQLite file, and a raw client. */

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerOptions, TaskwireServer } from '../../src/server/server.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';

export interface TestServer {
  server: TaskwireServer;
  /** The server's store, to look at what it holds. */
  store: Store;
  port: number;
  dir: string;
  db: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'taskwire-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A test server's options: a store, or a SQLite file (`db`, `fsync`); by default a fresh file. */
export type TestServerOptions = Omit<ServerOptions, 'store'> & {
  store?: Store;
  db?: string;
  fsync?: boolean;
};

/** Starts a server on port 0 with a fresh database (fast delays unless told otherwise). */
export async function startServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const { dir, remove } = tempDir();
  const { db: dbOption, fsync, store: given, ...rest } = opts;
  const db = dbOption ?? join(dir, 'test.db');
  const store = given ?? new SqliteStore({ path: db, fsync: fsync ?? false });
  const server = new TaskwireServer({ port: 0, delayScale: 0.001, graceMs: 200, ...rest, store });
  const { port } = await server.start();
  return {
    server,
    store,
    port,
    dir,
    db,
    async [Symbol.asyncDispose]() {
      await server.close();
      remove();
    },
  };
}

/** A raw line client over a real socket: send lines, read lines or JSON-RPC replies. */
export class RawClient {
  readonly socket: Socket;
  private buffer = '';
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  private nextId = 1;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        this.lines.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
      }
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line from the server; rejects if the connection closes first. */
  async line(): Promise<string> {
    while (this.lines.length === 0) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
    return this.lines.shift()!;
  }

  /** Resolves when the server closes the connection. */
  async closedByServer(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
  }

  /** Next JSON message. */
  async json(): Promise<any> {
    return JSON.parse(await this.line());
  }

  /** Sends a request and returns its id (responses may come later, out of order). */
  send(method: string, params?: unknown): number {
    const id = this.nextId++;
    this.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return id;
  }

  /** Sends a request and resolves with its response, keeping other messages for later. */
  async call(method: string, params?: unknown): Promise<any> {
    const id = this.send(method, params);
    return this.responseTo(id);
  }

  /** Reads messages until the response with this id; others are put back in order. */
  async responseTo(id: number): Promise<any> {
    const skipped: string[] = [];
    try {
      for (;;) {
        const line = await this.line();
        const msg = JSON.parse(line);
        if (msg.id === id) return msg;
        skipped.push(line);
      }
    } finally {
      this.lines.unshift(...skipped);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
