/**
 * A real TCP server on port 0 that speaks line-delimited JSON-RPC and does whatever the test
 * scripts: each test sets `onRequest` and answers (or not) through the connection.
 */
import net from 'node:net';
import { TypedEmitter } from '../../src/events/emitter.ts';
import type { TaskView } from '../../src/protocol/tasks.ts';

export interface ScriptedRequest {
  jsonrpc: '2.0';
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

interface ConnectionEvents {
  request: ScriptedRequest;
  close: undefined;
}

/** One accepted client connection. */
export class ScriptedConnection extends TypedEmitter<ConnectionEvents> {
  readonly socket: net.Socket;
  readonly requests: ScriptedRequest[] = [];
  /** How many `data` events the server saw: a proxy for how many writes the client made. */
  dataEvents = 0;
  readonly closed: Promise<void>;

  constructor(
    socket: net.Socket,
    onRequest: (req: ScriptedRequest, conn: ScriptedConnection) => void,
  ) {
    super();
    this.socket = socket;
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.dataEvents += 1;
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const req = JSON.parse(pending.slice(0, nl)) as ScriptedRequest;
        pending = pending.slice(nl + 1);
        this.requests.push(req);
        onRequest(req, this);
        this.emit('request', req);
      }
    });
    socket.on('error', () => {
      // The client may reset the connection; the test looks at `closed`, not at errors.
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.emit('close', undefined);
        resolve();
      }),
    );
  }

  /** Writes one message as a line. */
  send(message: unknown): void {
    this.socket.write(`${JSON.stringify(message)}\n`);
  }

  /** Answers request `id` with `result`. */
  respond(id: number, result: unknown): void {
    this.send({ jsonrpc: '2.0', id, result });
  }

  /** Answers request `id` with an error object. */
  fail(id: number | null, code: number, message: string, data?: unknown): void {
    this.send({ jsonrpc: '2.0', id, error: { code, message, data } });
  }

  /** Pushes a `task.update` notification. */
  update(task: TaskView): void {
    this.send({ jsonrpc: '2.0', method: 'task.update', params: { task } });
  }

  /** Resolves once `count` requests have arrived on this connection in total. */
  async requestCount(count: number): Promise<ScriptedRequest[]> {
    while (this.requests.length < count) await this.next('request');
    return this.requests;
  }

  /** Drops the connection at once, as a crashed server would. */
  drop(): void {
    this.socket.destroy();
  }
}

interface ServerEvents {
  connection: ScriptedConnection;
}

/** A JSON-RPC server whose behaviour each test scripts through `onRequest`. */
export class ScriptedServer extends TypedEmitter<ServerEvents> {
  readonly connections: ScriptedConnection[] = [];
  onRequest: (req: ScriptedRequest, conn: ScriptedConnection) => void = () => {};
  readonly #server: net.Server;

  private constructor(server: net.Server) {
    super();
    this.#server = server;
    server.on('connection', (socket) => {
      const conn = new ScriptedConnection(socket, (req, c) => this.onRequest(req, c));
      this.connections.push(conn);
      this.emit('connection', conn);
    });
  }

  /** Starts a server on a free port of 127.0.0.1. */
  static async start(
    onRequest?: (req: ScriptedRequest, conn: ScriptedConnection) => void,
  ): Promise<ScriptedServer> {
    const server = new ScriptedServer(net.createServer());
    if (onRequest) server.onRequest = onRequest;
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** The `n`-th connection (0-based), waiting for it to arrive. */
  async connection(n: number): Promise<ScriptedConnection> {
    while (this.connections.length <= n) await this.next('connection');
    return this.connections[n]!;
  }

  /** Stops listening and drops every connection; resolves when all are closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const conn of this.connections) conn.drop();
    await Promise.all(this.connections.map((c) => c.closed));
    await closed;
  }
}

/** A port nothing listens on: bound on 0, then released. */
export async function freePort(): Promise<number> {
  // Below the kernel's ephemeral range (32768 and up): a server that another test starts on
  // port 0 at the same time cannot be given this port after it was found free.
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return candidate;
  }
}

/** A TaskView with sensible defaults. */
export function taskView(id: string, fields: Partial<TaskView> = {}): TaskView {
  const now = new Date(0).toISOString();
  return {
    id,
    type: 'flip',
    data: 'abc',
    status: 'enqueued',
    reps: 1,
    unitsDone: 0,
    attempts: 0,
    priority: 0,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}
