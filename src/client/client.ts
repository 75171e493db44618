/**
 * The typed taskwire client: JSON-RPC 2.0 over one TCP connection, many concurrent calls,
 * responses matched by id, pushed `wait` results, and reconnection with backoff.
 */
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeUtf8, encodeLine } from '../protocol/framing/ndjson.ts';
import type {
  MethodName,
  ParamsOf,
  ResultOf,
  RpcErrorObject,
  ServerNotification,
  WorkerInfo,
} from '../protocol/messages.ts';
import type { Json, TaskSpec, TaskView } from '../protocol/tasks.ts';
import { backoffDelay, LineConnection, openSocket } from './connection.ts';
import { ClientClosedError, ConnectionLostError, formatAddress, RpcError } from './errors.ts';
import { TypedEmitter } from './events.ts';

export interface ClientOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 5000. */
  port?: number;
  /** Reconnect with backoff when the connection drops (default true). */
  reconnect?: boolean;
  /** Give up one connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Longest line accepted from the server (default 16 MiB). */
  maxLineBytes?: number;
}

export interface SubmitOptions {
  reps?: number;
  maxAttempts?: number;
}

export interface WaitOptions {
  /** Called for each status or progress change the server pushes while waiting. */
  onUpdate?: (task: TaskView) => void;
  /** Stops waiting (the promise rejects with the signal's reason); the task keeps running. */
  signal?: AbortSignal;
}

/** The client's events and their payloads. */
export interface ClientEvents {
  connect: { address: string; reconnected: boolean };
  disconnect: { address: string; error: Error | undefined };
  reconnecting: { address: string; attempt: number; delayMs: number };
  /** Every notification the server sends, including the `task.update`s routed to waits. */
  notification: ServerNotification;
  /** An error response the server could not tie to a request (its id is null). */
  serverError: { error: RpcError };
}

/** `call`'s params argument: optional for methods whose params may be undefined. */
export type ParamsArgs<M extends MethodName> =
  undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

/** Calls that are safe to send again on a new connection; the rest reject when it drops. */
const RESENDABLE: ReadonlySet<string> = new Set(['wait', 'status', 'cancel', 'ping', 'workers']);

interface PendingCall {
  method: string;
  params: unknown;
  /** The request id on the current connection; undefined while queued. */
  id: number | undefined;
  settled: boolean;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  wait?: WaitState;
}

interface WaitState {
  taskId: string;
  onUpdate: ((task: TaskView) => void) | undefined;
  /** The last update delivered, to drop repeats (e.g. after a resent wait). */
  lastUpdate: string | undefined;
  detach: (() => void) | undefined;
}

interface ResolvedOptions {
  host: string;
  port: number;
  reconnect: boolean;
  connectTimeoutMs: number;
  maxLineBytes: number;
}

/** Opens a connection to a taskwire server; rejects with ConnectError if it cannot. */
export async function connect(opts: ClientOptions = {}): Promise<Client> {
  return Client.connect(opts);
}

/** A connection to a taskwire server, safe for many concurrent calls. */
export class Client extends TypedEmitter<ClientEvents> {
  readonly #opts: ResolvedOptions;
  /** `host:port` of the server. */
  readonly address: string;
  #conn: LineConnection | undefined;
  #nextId = 1;
  /** Calls waiting for a connection, in call order. */
  #queued: PendingCall[] = [];
  #inflight = new Map<number, PendingCall>();
  /** Pending waits by task id, for routing `task.update`. */
  readonly #waits = new Map<string, Set<PendingCall>>();
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Set when the connection dropped and the client does not reconnect. */
  #lost: Error | undefined;
  /** Aborted by close(), to stop a reconnection in progress. */
  readonly #closeController = new AbortController();

  private constructor(opts: ResolvedOptions, socket: net.Socket) {
    super();
    this.#opts = opts;
    this.address = formatAddress(opts.host, opts.port);
    this.#attach(socket, false);
  }

  /** Opens a connection; rejects with ConnectError if it cannot. */
  static async connect(opts: ClientOptions = {}): Promise<Client> {
    const resolved: ResolvedOptions = {
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 5000,
      reconnect: opts.reconnect ?? true,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      maxLineBytes: opts.maxLineBytes ?? 16 * 1024 * 1024,
    };
    const socket = await openSocket(resolved.host, resolved.port, resolved.connectTimeoutMs);
    return new Client(resolved, socket);
  }

  /** Whether a connection is up right now. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** Calls any method with typed params and result. */
  call<M extends MethodName>(method: M, ...args: ParamsArgs<M>): Promise<ResultOf<M>> {
    return this.#request(method, args[0]) as Promise<ResultOf<M>>;
  }

  /** Submits one task; resolves with its id. */
  async submit(type: string, data: Json, opts: SubmitOptions = {}): Promise<string> {
    const { id } = await this.call('submit', { type, data, ...opts });
    return id;
  }

  /** Submits many tasks in one request; resolves with their ids in order. */
  async submitMany(tasks: TaskSpec[]): Promise<string[]> {
    const { ids } = await this.call('submitMany', { tasks });
    return ids;
  }

  /** A task's current state; `attempts: true` adds its attempt log. */
  status(id: string, opts: { attempts?: boolean } = {}): Promise<TaskView> {
    return this.call('status', opts.attempts ? { id, attempts: true } : { id });
  }

  /** Resolves with the task once it is done, failed or canceled; the server pushes it. */
  wait(id: string, opts: WaitOptions = {}): Promise<TaskView> {
    const { onUpdate, signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const params: ParamsOf<'wait'> = onUpdate ? { id, updates: true } : { id };
    const wait: WaitState = { taskId: id, onUpdate, lastUpdate: undefined, detach: undefined };
    const promise = this.#request('wait', params, wait) as Promise<TaskView>;
    const call = this.#findWait(wait);
    if (signal && call) {
      const onAbort = () => this.#rejectCall(call, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      wait.detach = () => signal.removeEventListener('abort', onAbort);
    }
    return promise;
  }

  /** Cancels an enqueued task; resolves with its new state. */
  cancel(id: string): Promise<TaskView> {
    return this.call('cancel', { id });
  }

  /** The workers connected to the server. */
  async workers(): Promise<WorkerInfo[]> {
    const { workers } = await this.call('workers');
    return workers;
  }

  /** Round trip to the server. */
  ping(): Promise<ResultOf<'ping'>> {
    return this.call('ping');
  }

  /** Closes the connection and rejects pending calls with ClientClosedError; safe to call twice. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closeController.abort();
      const pending = [...this.#inflight.values(), ...this.#queued];
      this.#inflight.clear();
      this.#queued = [];
      for (const call of pending) {
        call.id = undefined;
        this.#rejectCall(call, new ClientClosedError(call.method));
      }
      this.#closing = this.#conn?.close() ?? Promise.resolve();
    }
    return this.#closing;
  }

  /** `await using client = await connect()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #request(method: string, params: unknown, wait?: WaitState): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClientClosedError(method));
    if (this.#lost)
      return Promise.reject(new ConnectionLostError(method, this.address, this.#lost));
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        method,
        params,
        id: undefined,
        settled: false,
        resolve,
        reject,
      };
      if (wait) {
        call.wait = wait;
        let set = this.#waits.get(wait.taskId);
        if (!set) {
          set = new Set();
          this.#waits.set(wait.taskId, set);
        }
        set.add(call);
      }
      if (this.#conn) this.#send(call);
      else this.#queued.push(call);
    });
  }

  #send(call: PendingCall): void {
    const id = this.#nextId;
    let line: string;
    try {
      line = encodeLine({ jsonrpc: '2.0', id, method: call.method, params: call.params });
    } catch (err) {
      // Params JSON cannot carry (a BigInt, a cycle): this call fails, the connection is fine.
      this.#rejectCall(call, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#nextId += 1;
    call.id = id;
    this.#inflight.set(id, call);
    this.#conn!.send(line);
  }

  #attach(socket: net.Socket, reconnected: boolean): void {
    this.#nextId = 1;
    this.#conn = new LineConnection(socket, {
      maxLineBytes: this.#opts.maxLineBytes,
      onLine: (line) => this.#onLine(line),
      onClose: (error) => this.#onClose(error),
    });
    this.emit('connect', { address: this.address, reconnected });
    const queued = this.#queued;
    this.#queued = [];
    for (const call of queued) this.#send(call);
  }

  #onLine(line: Buffer): void {
    const text = decodeUtf8(line);
    let message: unknown;
    try {
      if (text === undefined) throw new Error('invalid UTF-8');
      message = JSON.parse(text);
    } catch {
      // The stream can no longer be trusted; a new connection starts clean.
      this.#conn?.destroy(new Error('server sent a line that is not UTF-8 JSON'));
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const msg = message as Record<string, unknown>;
    if (typeof msg.method === 'string' && msg.id === undefined) {
      this.#onNotification(msg as ServerNotification);
      return;
    }
    const call = typeof msg.id === 'number' ? this.#inflight.get(msg.id) : undefined;
    if (msg.error !== undefined) {
      const error = new RpcError(msg.error as RpcErrorObject);
      if (call) this.#rejectCall(call, error);
      else if (msg.id === null) this.emit('serverError', { error });
    } else if (call) {
      this.#settle(call);
      call.resolve(msg.result);
    }
    // A response with an unknown id answers a call given up on (an aborted wait): drop it.
  }

  #onNotification(notification: ServerNotification): void {
    this.emit('notification', notification);
    if (notification.method !== 'task.update') return;
    const task = notification.params?.task;
    const waits = task ? this.#waits.get(task.id) : undefined;
    if (!task || !waits) return;
    const key = `${task.status}|${task.progress}|${task.unitsDone}|${task.updatedAt}`;
    for (const call of [...waits]) {
      const wait = call.wait!;
      if (!wait.onUpdate || wait.lastUpdate === key) continue;
      wait.lastUpdate = key;
      try {
        wait.onUpdate(task);
      } catch (err) {
        this.#rejectCall(call, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  #onClose(error: Error | undefined): void {
    this.#conn = undefined;
    const lost = [...this.#inflight.values()];
    this.#inflight.clear();
    const resend: PendingCall[] = [];
    for (const call of lost) {
      call.id = undefined;
      if (this.#opts.reconnect && RESENDABLE.has(call.method)) resend.push(call);
      else this.#rejectCall(call, new ConnectionLostError(call.method, this.address, error));
    }
    this.#queued = [...resend, ...this.#queued];
    if (this.#closed) return;
    this.emit('disconnect', { address: this.address, error });
    if (this.#opts.reconnect) {
      void this.#reconnect();
      return;
    }
    this.#lost = error ?? new Error('connection closed by the server');
    const queued = this.#queued;
    this.#queued = [];
    for (const call of queued) {
      this.#rejectCall(call, new ConnectionLostError(call.method, this.address, error));
    }
  }

  async #reconnect(): Promise<void> {
    const { host, port, connectTimeoutMs } = this.#opts;
    for (let attempt = 1; !this.#closed; attempt++) {
      const delayMs = backoffDelay(attempt);
      this.emit('reconnecting', { address: this.address, attempt, delayMs });
      try {
        await sleep(delayMs, undefined, { signal: this.#closeController.signal });
      } catch {
        return; // closed
      }
      let socket: net.Socket;
      try {
        socket = await openSocket(host, port, connectTimeoutMs, this.#closeController.signal);
      } catch {
        continue;
      }
      if (this.#closed) {
        socket.destroy();
        return;
      }
      this.#attach(socket, true);
      return;
    }
  }

  /** The pending call of a wait, if it is still pending. */
  #findWait(wait: WaitState): PendingCall | undefined {
    for (const call of this.#waits.get(wait.taskId) ?? []) if (call.wait === wait) return call;
    return undefined;
  }

  #rejectCall(call: PendingCall | undefined, error: Error): void {
    if (!call || call.settled) return;
    this.#settle(call);
    call.reject(error);
  }

  /** Forgets a call that is being resolved or rejected. */
  #settle(call: PendingCall): void {
    call.settled = true;
    if (call.id !== undefined) {
      if (this.#inflight.get(call.id) === call) this.#inflight.delete(call.id);
    } else {
      const i = this.#queued.indexOf(call);
      if (i !== -1) this.#queued.splice(i, 1);
    }
    const wait = call.wait;
    if (wait) {
      wait.detach?.();
      const set = this.#waits.get(wait.taskId);
      set?.delete(call);
      if (set?.size === 0) this.#waits.delete(wait.taskId);
    }
  }
}
