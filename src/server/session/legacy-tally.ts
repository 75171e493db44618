/**
 * The seed-003 worker protocol on its own port: marker-framed messages, a Python dict of
 * `{KEY: UNITS}` from the worker, a bare integer from the server (a key, -2 "ask again",
 * -1 "all done"). Each connection is a pull worker of the scheduler holding at most one
 * key's lease; the keys are the tasks of one named tally, so native workers can work on the
 * same tally side by side.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TypedEmitter } from '../../events/emitter.ts';
import type { Json } from '../../model/tasks.ts';
import { parsePythonDict } from '../../protocol/compat/python-dict.ts';
import { frameMarker, MarkerFramer } from '../../protocol/framing/marker.ts';
import type { Lease, Store } from '../../store/types.ts';
import { isLoopbackHost } from '../auth/protected-mode.ts';
import type { ServerEvents } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { Scheduler, WorkerSlot } from '../scheduling/scheduler.ts';
import { ReadGate } from './read-gate.ts';

export const LEGACY_TALLY_NAME = 'legacy';
const WAIT = -2;
const DONE = -1;
const MAX_BODY_BYTES = 64 * 1024;

export interface LegacyTallyOptions {
  host: string;
  port: number;
  keys: number;
  reps: number;
  maxAttempts: number;
  now: () => number;
  /** Serve only peers on this machine (auth is on; see docs/security.md). */
  loopbackOnly?: boolean;
  /** Where `connection:paused` / `connection:resumed` go (flow control, see ReadGate). */
  events?: TypedEmitter<ServerEvents>;
}

/**
 * Messages one legacy connection may have waiting for their answers before it is no longer
 * read. A seed-003 worker sends one and waits; only a flooding client reaches this.
 */
const MAX_PENDING_MESSAGES = 64;

/** The key a tally task works on: its data is `{tally, key}` (or a bare key). */
function keyOf(data: Json): number | undefined {
  if (typeof data === 'number') return data;
  if (
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    typeof data.key === 'number'
  ) {
    return data.key;
  }
  return undefined;
}

class LegacyWorker implements WorkerSlot {
  readonly types = ['tally'];
  readonly concurrency = 1;
  readonly local = false;
  readonly pull = true;
  held: { token: number; key: number; taskId: number } | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
  ) {}

  assign(): void {
    // Pull workers are never pushed tasks.
  }

  revoke(tokens: number[]): void {
    if (this.held && tokens.includes(this.held.token)) this.held = undefined;
  }
}

export class LegacyTallyListener {
  private server: Server | undefined;
  private tallyId = 0;
  private seq = 0;
  private readonly sockets = new Set<Socket>();

  /** Open connections of tally workers. */
  get connections(): number {
    return this.sockets.size;
  }

  constructor(
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly opts: LegacyTallyOptions,
  ) {}

  /** Creates the tally unless it is stored already, then listens. */
  async start(): Promise<{ host: string; port: number }> {
    const { opts } = this;
    const { id, created } = await this.store.createTally(
      { name: LEGACY_TALLY_NAME, keys: opts.keys, reps: opts.reps, maxAttempts: opts.maxAttempts },
      opts.now(),
    );
    this.tallyId = id;
    if (created) this.scheduler.workAppeared();
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(opts.port, opts.host, () => resolve());
    });
    const a = this.server.address();
    const address =
      a && typeof a === 'object'
        ? { host: a.address, port: a.port }
        : { host: opts.host, port: opts.port };
    this.log.info(
      { ...address, tally: id, created, keys: opts.keys, reps: opts.reps },
      'legacy tally listening',
    );
    return address;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.opts.loopbackOnly && !isLoopbackHost(socket.remoteAddress ?? '')) {
      this.log.warn({ remote }, 'legacy tally worker refused: not on this machine (auth is on)');
      this.opts.events?.emit('auth:refused', { remote, reason: 'legacy' });
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const worker = new LegacyWorker(`legacy-${++this.seq}`, `legacy@${remote}`);
    this.sockets.add(socket);
    this.scheduler.addWorker(worker);
    this.log.info({ worker: worker.id, remote }, 'legacy tally worker connected');
    let chain = Promise.resolve();
    let closed = false;
    const gate = new ReadGate(socket, MAX_PENDING_MESSAGES, { remote, events: this.opts.events });
    const reply = (n: number) => {
      if (!closed) gate.wrote(socket.write(frameMarker(String(n))));
    };
    const refuse = (reason: string) => {
      this.log.warn(
        { worker: worker.id, reason },
        'legacy tally worker sent a bad message; closing',
      );
      reply(DONE);
      closed = true;
      socket.end();
    };
    const framer = new MarkerFramer({
      maxBodyBytes: MAX_BODY_BYTES,
      onMessage: (body) => {
        gate.started();
        chain = chain
          .then(async () => {
            if (closed) return;
            const answer = await this.answer(worker, body);
            if (answer === undefined) refuse('not a dict of integers');
            else reply(answer);
          })
          .catch((error: unknown) => {
            this.log.error({ err: error, worker: worker.id }, 'legacy tally request failed');
            reply(WAIT);
          })
          .finally(() => gate.finished());
      },
      onError: (reason) => refuse(reason),
    });
    socket.setKeepAlive(true, 15_000);
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      this.sockets.delete(socket);
      // Gives the held key back at once (if the store refuses, the lease expires instead).
      void this.scheduler.removeWorker(worker.id);
      this.log.info({ worker: worker.id }, 'legacy tally worker left');
    });
  }

  /** Counts a report and picks the next key; undefined when the body is not acceptable. */
  private async answer(worker: LegacyWorker, body: string): Promise<number | undefined> {
    const parsed = parsePythonDict(body);
    if (!parsed.ok) return undefined;
    if (parsed.entries.some(([key, units]) => key < 0 || units < 1 || units > 1_000_000))
      return undefined;
    let reported: number | undefined;
    for (const [key, units] of parsed.entries) {
      const held = worker.held;
      if (held && held.key === key) {
        worker.held = undefined;
        reported = held.taskId;
        await this.scheduler.complete(worker.id, held.token, null, units);
      }
      // A key this connection does not hold (a re-send, or a lease that expired) is not
      // counted; the message is then answered like `{}`.
    }
    if (worker.held) return worker.held.key;
    // Never the key just reported: a re-send of that report must not match the next lease.
    const [lease] = await this.scheduler.claimFor(worker.id, 1, reported);
    if (lease) return this.hold(worker, lease);
    const tally = await this.store.tally({ id: this.tallyId });
    return tally && tally.keysDone >= tally.keys ? DONE : WAIT;
  }

  private hold(worker: LegacyWorker, lease: Lease): number {
    const key = keyOf(lease.data) ?? -1;
    worker.held = { token: lease.token, key, taskId: lease.taskId };
    return key;
  }
}
