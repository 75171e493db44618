/**
 * The typed taskwire client: JSON-RPC 2.0 over one TCP connection, many concurrent calls,
 * responses matched by id, pushed `wait` results, and reconnection with backoff, failing
 * over between the servers of an address list.
 */
import type net from 'node:net';
import type { Json } from '../model/tasks.ts';
import { decodeUtf8, encodeLine } from '../protocol/framing/ndjson.ts';
import type {
  MethodName,
  ParamsOf,
  ResultOf,
  RpcErrorObject,
  ServerNotification,
  WorkerInfo,
} from '../protocol/messages.ts';
import type { ScheduleParams, ScheduleView, TaskSpec, TaskView } from '../protocol/tasks.ts';
import { formatAddress } from './address.ts';
import { overLimit, type PendingCall, PendingCalls, type WaitState } from './calls.ts';
import { connectFirst, LineConnection, reconnectSocket } from './connection.ts';
import {
  AuthError,
  ClientClosedError,
  ConnectionLostError,
  RpcError,
  refusesCalls,
  rpcError,
  TlsError,
  tlsFailureOf,
} from './errors.ts';
import { OperatorCalls } from './operator-calls.ts';
import {
  type ClientOptions,
  type ParamsArgs,
  type ResolvedOptions,
  resendable,
  resolveOptions,
  type SubmitOptions,
  toSpec,
  type WaitOptions,
} from './options.ts';
import { SubmitBatcher, type SubmitResult } from './submit-batcher.ts';

export type {
  ClientEvents,
  ClientOptions,
  ParamsArgs,
  RetryManyOptions,
  SubmitOptions,
  WaitOptions,
} from './options.ts';
export { resolveAddresses } from './options.ts';
export type { SubmitResult } from './submit-batcher.ts';

/** Opens a connection to a taskwire server; rejects with ConnectError if it cannot. */
export async function connect(opts: ClientOptions = {}): Promise<Client> {
  return Client.connect(opts);
}

/** A connection to a taskwire server, safe for many concurrent calls. */
export class Client extends OperatorCalls {
  private readonly opts: ResolvedOptions;
  /** Every server this client may connect to, as `host:port`, in list order. */
  readonly addresses: readonly string[];
  /** Index in `addresses` of the current (or, while disconnected, the last) server. */
  private index: number;
  private conn: LineConnection | undefined;
  private nextId = 1;
  private readonly calls = new PendingCalls();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set when the connection dropped and the client does not reconnect. */
  private lost: Error | undefined;
  /** Aborted by close(), to stop a reconnection in progress. */
  private readonly closeController = new AbortController();
  private readonly submits = new SubmitBatcher({
    one: (spec) => this.call('submit', spec),
    many: (tasks) => this.call('submitMany', { tasks }),
  });

  private constructor(opts: ResolvedOptions, socket: net.Socket, index: number) {
    super();
    this.opts = opts;
    this.addresses = opts.addresses.map((a) => formatAddress(a.host, a.port));
    this.index = index;
    this.attach(socket, false, index);
  }

  /** Connects to the first server that accepts (AddressError: bad list; ConnectError: none). */
  static async connect(opts: ClientOptions = {}): Promise<Client> {
    const resolved = resolveOptions(opts);
    const n = resolved.addresses.length;
    const start = opts.order === 'random' ? Math.floor(Math.random() * n) : 0;
    return connectFirst(resolved, start, async (socket, index) => {
      const client = new Client(resolved, socket, index);
      // With a token, connected means authenticated: a refused token rejects (AuthError).
      await client.authenticated?.catch(async (error: unknown) => {
        await client.close();
        throw error;
      });
      return client;
    });
  }

  /** `host:port` of the server connected to (while disconnected: the last one). */
  get address(): string {
    return this.addresses[this.index]!;
  }

  /** Whether a connection is up right now. */
  get connected(): boolean {
    return this.conn !== undefined;
  }

  /** Calls any method with typed params and result. */
  override call<M extends MethodName>(method: M, ...args: ParamsArgs<M>): Promise<ResultOf<M>> {
    return this.request(method, args[0]) as Promise<ResultOf<M>>;
  }

  /** Sends a JSON-RPC notification (no id; no answer); false, sending nothing, while disconnected. */
  notify<M extends MethodName>(method: M, ...args: ParamsArgs<M>): boolean {
    const conn = this.conn;
    if (!conn || this.authenticating) return false;
    conn.send(encodeLine({ jsonrpc: '2.0', method, params: args[0] }));
    return true;
  }

  /** Submits one task; its id once committed (a microtask's submits go as one submitMany). */
  submit(type: string, data: Json, opts: SubmitOptions = {}): Promise<string> {
    const spec = toSpec(type, data, opts, this.opts.idempotent);
    return new Promise((resolve, reject) => this.submits.submit(spec, resolve, reject));
  }

  /** `submit`, answering also whether the task's key was held already (`duplicate`). */
  submitTask(type: string, data: Json, opts: SubmitOptions = {}): Promise<SubmitResult> {
    const spec = toSpec(type, data, opts, this.opts.idempotent);
    return new Promise((resolve, reject) =>
      this.submits.submit(spec, (id, duplicate) => resolve({ id, duplicate }), reject),
    );
  }

  /**
   * Submits a task and resolves with it once finished (done, failed or canceled): one round
   * trip. Without a key it is not resent after a dropped connection (the task may have been
   * accepted): it rejects with ConnectionLostError, like `submit`; with one it is.
   */
  run(type: string, data: Json, opts: SubmitOptions = {}): Promise<TaskView> {
    return this.call('run', toSpec(type, data, opts, this.opts.idempotent));
  }

  /** Submits many tasks in one request; resolves with their ids in order. */
  async submitMany(tasks: TaskSpec[]): Promise<string[]> {
    const keyed = this.opts.idempotent ? tasks.map((t) => toSpec(t.type, t.data, t, true)) : tasks;
    const { ids } = await this.call('submitMany', { tasks: keyed });
    return ids;
  }

  /** Adds a cron schedule (`schedule.add`), or replaces the one of that name. */
  addSchedule(params: ScheduleParams): Promise<ScheduleView & { created: boolean }> {
    return this.call('schedule.add', params);
  }

  /** Every cron schedule (`schedule.list`), by name. */
  async listSchedules(): Promise<ScheduleView[]> {
    return (await this.call('schedule.list')).schedules;
  }

  /** Removes a cron schedule (`schedule.remove`); the tasks it made stay. */
  async removeSchedule(name: string): Promise<void> {
    await this.call('schedule.remove', { name });
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
    const promise = this.request('wait', params, wait) as Promise<TaskView>;
    const call = this.calls.findWait(wait);
    if (signal && call) {
      const onAbort = () => this.calls.reject(call, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      wait.detach = () => signal.removeEventListener('abort', onAbort);
    }
    return promise;
  }

  /** Cancels a task not finished yet (a running one is stopped); its new state. */
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
    if (!this.closing) {
      this.closed = true;
      this.closeController.abort();
      const pending = [...this.calls.takeInFlight(), ...this.calls.takeQueued()];
      for (const call of pending) this.calls.reject(call, new ClientClosedError(call.method));
      this.closing = this.conn?.close() ?? Promise.resolve();
    }
    return this.closing;
  }

  /** `await using client = await connect()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The server refused a line as too long and is closing: see onClose. */
  private refusedLine: RpcError | undefined;
  /** The token was refused (or removed), or TLS failed: every call fails with it, for good. */
  private refusal: AuthError | TlsError | undefined;
  /** Until `auth` is answered on a new connection, calls wait in the queue. */
  private authenticated: Promise<void> | undefined;
  private authenticating = false;

  /** Sends `auth` first on a new connection; the calls waiting go once it is accepted. */
  private authenticate(token: string): Promise<void> {
    this.authenticating = true;
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        ...{ method: 'auth', params: { token }, id: undefined, settled: false },
        resolve: () => {
          this.authenticating = false;
          resolve();
          for (const queued of this.calls.takeQueued()) this.send(queued);
        },
        reject: (error: Error) => {
          // Refused: the connection goes (see onClose); another answer (a server shutting
          // down) drops it too, and the next connection tries again.
          if (error instanceof RpcError) this.conn?.destroy(error);
          reject(error);
        },
      };
      this.calls.add(call);
      this.send(call);
    });
  }

  private request(method: string, params: unknown, wait?: WaitState): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClientClosedError(method));
    if (this.refusal) return Promise.reject(this.refusal);
    if (this.lost) return Promise.reject(new ConnectionLostError(method, this.address, this.lost));
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        method,
        params,
        id: undefined,
        settled: false,
        resolve,
        reject,
      };
      if (wait) call.wait = wait;
      this.calls.add(call);
      if (this.conn && !this.authenticating) this.send(call);
      else this.calls.queued.push(call);
    });
  }

  private send(call: PendingCall): void {
    const id = this.nextId;
    let line: string;
    try {
      line = encodeLine({ jsonrpc: '2.0', id, method: call.method, params: call.params });
    } catch (err) {
      // Params JSON cannot carry (a BigInt, a cycle): this call fails, the connection is fine.
      this.calls.reject(call, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.nextId += 1;
    this.calls.sent(call, id, line);
    this.conn!.send(line);
  }

  private attach(socket: net.Socket, reconnected: boolean, index: number): void {
    this.index = index;
    this.nextId = 1;
    this.conn = new LineConnection(socket, {
      maxLineBytes: this.opts.maxLineBytes,
      onLine: (line) => this.onLine(line),
      onClose: (error) => this.onClose(error),
    });
    this.emit('connection:opened', { address: this.address, reconnected });
    const { token } = this.opts;
    if (token === undefined) for (const call of this.calls.takeQueued()) this.send(call);
    else this.authenticated = this.authenticate(token);
    this.authenticated?.catch(() => undefined);
  }

  private onLine(line: Buffer): void {
    const text = decodeUtf8(line);
    let message: unknown;
    try {
      if (text === undefined) throw new Error('invalid UTF-8');
      message = JSON.parse(text);
    } catch {
      // The stream can no longer be trusted; a new connection starts clean.
      this.conn?.destroy(new Error('server sent a line that is not UTF-8 JSON'));
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const msg = message as Record<string, unknown>;
    if (typeof msg.method === 'string' && msg.id === undefined) {
      this.onNotification(msg as ServerNotification);
      return;
    }
    const call = typeof msg.id === 'number' ? this.calls.inFlight(msg.id) : undefined;
    if (msg.error !== undefined) {
      const error = rpcError(msg.error as RpcErrorObject);
      // The server closes the connection next; see onClose.
      if (error instanceof AuthError) this.refusal ??= error;
      if (call) this.calls.reject(call, error);
      else if (msg.id === null) {
        if (refusesCalls(error)) this.refusedLine = error;
        this.emit('server:error', { error });
      }
    } else if (call) {
      this.calls.resolve(call, msg.result);
    }
    // A response with an unknown id answers a call given up on (an aborted wait): drop it.
  }

  private onNotification(notification: ServerNotification): void {
    this.emit('server:notification', notification);
    if (notification.method !== 'task.update') return;
    const task = notification.params?.task;
    if (task) this.calls.update(task);
  }

  private onClose(error: Error | undefined): void {
    this.conn = undefined;
    const address = this.address;
    // After the handshake TLS can still fail: the server refused our certificate (mutual TLS).
    if (!this.closed) this.refusal ??= tlsFailureOf(error, this.opts.addresses[this.index]!);
    const tlsFailure = this.refusal instanceof TlsError ? this.refusal : undefined;
    const resend: PendingCall[] = [];
    const refused = this.refusedLine;
    this.refusedLine = undefined;
    for (const call of this.calls.takeInFlight()) {
      if (refused && overLimit(call, refused)) this.calls.reject(call, refused);
      else if (this.opts.reconnect && resendable(call.method, call.params)) resend.push(call);
      else
        this.calls.reject(call, tlsFailure ?? new ConnectionLostError(call.method, address, error));
    }
    this.calls.queued = [...resend, ...this.calls.queued];
    this.authenticating = false;
    if (this.closed) return;
    this.emit('connection:lost', { address, error });
    if (this.refusal) {
      this.refuse(this.refusal);
      return;
    }
    if (this.opts.reconnect) {
      void this.reconnect();
      return;
    }
    this.lost = error ?? new Error('connection closed by the server');
    for (const call of this.calls.takeQueued()) {
      this.calls.reject(call, new ConnectionLostError(call.method, address, error));
    }
  }

  /** Fails every queued call with `refusal` and reconnects no more. */
  private refuse(refusal: AuthError | TlsError): void {
    this.refusal = refusal;
    for (const call of this.calls.takeQueued()) this.calls.reject(call, refusal);
    this.emit('connection:refused', { address: this.address, error: refusal });
  }

  /** Reconnects (see `reconnectSocket`), and attaches the new connection. */
  private async reconnect(): Promise<void> {
    const found = await reconnectSocket({
      ...this.opts,
      from: this.index,
      signal: this.closeController.signal,
      isClosed: () => this.closed,
      onRetry: (index, attempt, round, delayMs) =>
        this.emit('connection:retrying', {
          address: this.addresses[index]!,
          attempt,
          round,
          delayMs,
        }),
      onRefused: (error) => this.refuse(error),
    });
    if (found) this.attach(found.socket, true, found.index);
  }
}
