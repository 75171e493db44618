/**
 * The worker-process side of the parent ↔ worker protocol (see workers.ts).
 *
 * stdin, from the parent: `go` (start consuming), `stop` or end of input (report and exit).
 * stdout, to the parent, one JSON object a line:
 *   {"t":"ready"}                          connected and set up, not consuming yet
 *   {"t":"n","done":N}                     tasks done so far (sent at most every 25 ms)
 *   {"t":"final","done":N,"last":"NS"}     on stop; NS: process.hrtime of the last task done
 * A worker exits by itself when stdin ends (the parent died), on a fatal error, and after
 * its maximum lifetime.
 */
import { createInterface } from 'node:readline';

export interface WorkerIo {
  /** Tells the parent this worker is connected and waiting for `go`. */
  ready(): void;
  /** Counts one task done, now. */
  taskDone(): void;
  /** Reports the error on stderr and exits with status 1 (once stderr is written). */
  fatal(err: unknown): void;
}

export interface WorkerIoOptions {
  /** Exit (status 2) after this long whatever happens. */
  maxMs: number;
  onGo(): void;
  /** Called on stop before exiting (bounded to 2 s). */
  onStop(): Promise<void> | void;
}

export function startWorkerIo(opts: WorkerIoOptions): WorkerIo {
  let done = 0;
  let last = 0n;
  let reported = 0;
  let reportTimer: NodeJS.Timeout | null = null;
  let going = false;
  let stopping = false;

  const send = (msg: object) => process.stdout.write(`${JSON.stringify(msg)}\n`);

  const report = () => {
    reportTimer = null;
    if (done !== reported) {
      reported = done;
      send({ t: 'n', done });
    }
  };

  let dying = false;
  const die = (err: unknown): void => {
    if (dying) return;
    dying = true;
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`worker error: ${text}\n`, () => process.exit(1));
    setTimeout(() => process.exit(1), 1000).unref();
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (reportTimer) clearTimeout(reportTimer);
    setTimeout(() => process.exit(0), 3000).unref();
    send({ t: 'final', done, last: last.toString() });
    try {
      await Promise.race([
        Promise.resolve().then(opts.onStop),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    } catch {
      // exiting anyway
    }
    process.stdout.write('', () => process.exit(0));
  };

  const lifetime = setTimeout(() => {
    process.stderr.write(`worker lifetime of ${opts.maxMs} ms exceeded\n`, () => process.exit(2));
  }, opts.maxMs);
  lifetime.unref();

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'go' && !going) {
      going = true;
      try {
        opts.onGo();
      } catch (err) {
        die(err);
      }
    } else if (cmd === 'stop') void stop();
  });
  lines.on('close', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);

  return {
    ready: () => send({ t: 'ready' }),
    taskDone: () => {
      done++;
      last = process.hrtime.bigint();
      reportTimer ??= setTimeout(report, 25);
    },
    fatal: die,
  };
}

/** The JSON configuration a worker script gets as its only argument. */
export function workerConfig<T>(): T {
  const arg = process.argv[2];
  if (!arg) {
    process.stderr.write('usage: worker.ts JSON-CONFIG\n');
    process.exit(64);
  }
  return JSON.parse(arg) as T;
}
