/**
 * Child processes of the benchmark. Each is tracked by PID from spawn to exit; whatever is
 * still alive when the harness exits (even on an uncaught error) gets SIGKILL by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { within } from './wait.ts';

const live = new Set<Proc>();
process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/** Lines kept from each stream, for error messages. */
const TAIL_LINES = 30;

export interface SpawnOptions {
  /** Shown in error messages. */
  name: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type Stream = 'stdout' | 'stderr';

/** A child process whose output is read line by line (so its pipes never fill up). */
export class Proc {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcess;
  readonly #lines = new EventEmitter();
  readonly #tail: Record<Stream, string[]> = { stdout: [], stderr: [] };
  #exit: Exit | undefined;

  constructor(command: string, args: readonly string[], opts: SpawnOptions) {
    this.name = opts.name;
    this.#child = spawn(command, args, {
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.#child.pid === undefined) {
      // spawn failed synchronously (ENOENT is reported on 'error' as well).
      this.pid = -1;
    } else {
      this.pid = this.#child.pid;
      live.add(this);
    }
    this.#lines.setMaxListeners(0);
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = createInterface({ input: this.#child[stream]! });
      lines.on('line', (line) => {
        const tail = this.#tail[stream];
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        this.#lines.emit(stream, line);
      });
    }
    const exit = new Promise<Exit>((resolve) => {
      this.#child.once('exit', (code, signal) => resolve({ code, signal }));
      this.#child.on('error', (error) => {
        this.#tail.stderr.push(`${this.name}: ${error.message}`);
        // Without a PID it never started, so no 'exit' follows.
        if (this.#child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    this.exited = exit.then((result) => {
      this.#exit = result;
      live.delete(this);
      return result;
    });
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#exit === undefined && this.pid > 0;
  }

  /** Calls `listener` for each line the process writes on `stream` from now on. */
  onLine(stream: Stream, listener: (line: string) => void): () => void {
    this.#lines.on(stream, listener);
    return () => this.#lines.off(stream, listener);
  }

  /**
   * Resolves with the first line on `stream` matching `pattern`; rejects when the process
   * exits first, after `timeoutMs`, or when `signal` aborts.
   */
  waitForLine(
    stream: Stream,
    pattern: RegExp,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<string> {
    let off: () => void = () => {};
    const found = new Promise<string>((resolve, reject) => {
      off = this.onLine(stream, (line) => {
        if (pattern.test(line)) resolve(line);
      });
      void this.exited.then((exit) =>
        reject(new Error(`${this.describeExit(exit)} before printing ${pattern}`)),
      );
    });
    return within(found, timeoutMs, `${this.name}: waiting for ${pattern}`, signal).finally(off);
  }

  /** The last lines the process printed, for error messages. */
  output(): string {
    return [...this.#tail.stderr, ...this.#tail.stdout].join('\n');
  }

  /** e.g. "worker 2 exited with code 1: <its last lines>". */
  describeExit(exit: Exit): string {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const output = this.output();
    return `${this.name} ${how}${output ? `: ${output}` : ''}`;
  }

  /** Sends a signal by PID; does nothing once the process has exited. */
  kill(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * Asks the process to stop (SIGTERM) and waits up to `graceMs`; then SIGKILL. Resolves
   * with how it exited.
   */
  async stop(graceMs: number): Promise<Exit> {
    this.kill('SIGTERM');
    try {
      return await within(this.exited, graceMs, `${this.name}: stopping`);
    } catch {
      this.kill('SIGKILL');
      return within(this.exited, 10_000, `${this.name}: exiting after SIGKILL`);
    }
  }
}

/** Spawns a tracked child process. */
export function spawnProc(command: string, args: readonly string[], opts: SpawnOptions): Proc {
  return new Proc(command, args, opts);
}
