/**
 * What one run owns: its child processes, temp folders and cleanup steps. `close()` kills
 * every child still running (by PID), runs the cleanup steps and deletes the folders; an
 * abort kills the children at once, so whatever the run is waiting on fails fast.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Proc, type SpawnOptions, spawnProc } from './processes.ts';
import { within } from './wait.ts';

export class RunScope implements AsyncDisposable {
  readonly signal: AbortSignal;
  readonly #procs: Proc[] = [];
  readonly #dirs: string[] = [];
  readonly #cleanups: (() => unknown)[] = [];
  readonly #onAbort = () => {
    for (const proc of this.#procs) proc.kill('SIGKILL');
  };
  #closing: Promise<void> | undefined;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Spawns a child process that this run owns. */
  spawn(command: string, args: readonly string[], opts: SpawnOptions): Proc {
    if (this.#closing) throw new Error('the run is over');
    const proc = spawnProc(command, args, opts);
    this.#procs.push(proc);
    if (this.signal.aborted) proc.kill('SIGKILL');
    return proc;
  }

  /** A new empty folder under the system temp folder, deleted when the run ends. */
  async tempDir(prefix = 'taskwire-bench-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** Runs `fn` when the run ends (last registered, first run), before folders are deleted. */
  defer(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** Kills what is still running, runs the cleanup steps, deletes the folders; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    this.signal.removeEventListener('abort', this.#onAbort);
    const errors: unknown[] = [];
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    for (const proc of this.#procs) proc.kill('SIGKILL');
    for (const proc of this.#procs) {
      await within(proc.exited, 10_000, `${proc.name}: exiting after SIGKILL`).catch(
        (error: unknown) => errors.push(error),
      );
    }
    for (const dir of this.#dirs) {
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup of the run failed');
  }
}
