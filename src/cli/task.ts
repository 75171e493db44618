/** `taskwire task TYPE DATA`: submits a task, and with --packet follows it to its result. */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { Json } from '../model/tasks.ts';
import {
  clientCommand,
  ExitCode,
  type Io,
  positiveInt,
  printJson,
  runCommand,
  type TargetOptions,
  UsageError,
  withClient,
} from './common.ts';
import {
  atOption,
  delayOption,
  keyOption,
  priorityOption,
  timeoutOption,
} from './scheduling-options.ts';
import { followTask } from './wait.ts';

/** The seed protocol's numeric aliases. */
const TYPE_ALIASES: Readonly<Record<string, string>> = { 1: 'flip', 2: 'swap', 3: 'repeat' };

/** A TYPE argument with the seed aliases (1, 2, 3) resolved. */
export function taskType(text: string): string {
  return TYPE_ALIASES[text] ?? text;
}
/** Types whose data is a string: DATA is sent as typed, never parsed as JSON. */
const STRING_TYPES = new Set(['flip', 'swap', 'repeat']);

export interface TaskCommandOptions extends TargetOptions {
  type: string;
  /** The DATA argument; or `dataFile`. */
  data?: string;
  /** A file to read DATA from (`-`: standard input), for data too large for a command line. */
  dataFile?: string;
  packet?: boolean;
  json?: boolean;
  reps?: number;
  priority?: number;
  /** Milliseconds until the task is due (parsed from `--delay 30s`). */
  delay?: number;
  /** When the task is due, ISO 8601 (`--at`). */
  at?: string;
  key?: string;
  /** How long one attempt may run (ms, from `--timeout 30s`). */
  timeout?: number;
}

/** The `task` command. */
export function taskCommand(): Command {
  return clientCommand<Omit<TaskCommandOptions, 'type' | 'data'>, [string, string | undefined]>(
    new Command('task')
      .description('submit a task and print its id')
      .argument(
        '<type>',
        'task type: flip, swap, repeat (or 1, 2, 3), or any type the server accepts',
      )
      .argument(
        '[data]',
        'task data: a string for flip/swap/repeat; for other types JSON if it parses, else a string',
      )
      .option('--data-file <path>', 'read the task data from a file instead (- for stdin)')
      .option('--packet', 'wait for the result, showing each status change (Ctrl-C detaches)')
      .option('--json', 'print {"id": ...} (and with --packet the final task) as JSON')
      .option('--reps <n>', 'units of work the task needs', positiveInt)
      .option('--priority <n>', 'higher runs first: -1000..1000 (default 0)', priorityOption)
      .option('--delay <duration>', 'run after this long: 500ms, 30s, 5m, 2h, 1d', delayOption)
      .option(
        '--at <time>',
        'run at this time: ISO 8601 with a zone, e.g. 2026-12-24T18:00:00Z',
        (v) => atOption(v),
      )
      .option(
        '--key <key>',
        'unique key: while a task of this type holds it, no second one is made (1-256 chars)',
        keyOption,
      )
      .option(
        '--timeout <duration>',
        'fail an attempt that runs longer (error timeout; retries apply): 500ms, 30s, 5m',
        timeoutOption,
      ),
    (flags, io, signal, type, data) =>
      runTask({ ...flags, type, ...(data === undefined ? {} : { data }) }, io, signal),
    true,
  );
}

/** Runs `taskwire task`; `signal` detaches in packet mode (Ctrl-C). Returns the exit code. */
export function runTask(opts: TaskCommandOptions, io: Io, signal?: AbortSignal): Promise<number> {
  return runCommand(io, async () => {
    const type = taskType(opts.type);
    const data = taskData(type, await dataText(opts));
    const packet = opts.packet === true;
    if (opts.delay !== undefined && opts.at !== undefined) {
      throw new UsageError('give --delay or --at, not both');
    }
    const options = {
      ...(opts.reps !== undefined && { reps: opts.reps }),
      ...(opts.priority !== undefined && { priority: opts.priority }),
      ...(opts.delay !== undefined && { delay: opts.delay }),
      ...(opts.at !== undefined && { runAt: opts.at }),
      ...(opts.key !== undefined && { key: opts.key }),
      ...(opts.timeout !== undefined && { timeout: opts.timeout }),
    };
    return withClient(opts, { reconnect: packet }, async (client) => {
      const { id, duplicate } = await client.submitTask(type, data, options);
      if (opts.json) printJson(io, duplicate ? { id, duplicate } : { id });
      else io.stdout.write(`${id}\n`);
      if (duplicate) {
        io.stderr.write(
          `taskwire: task ${id} already holds key ${JSON.stringify(opts.key)}: nothing new was submitted\n`,
        );
      }
      if (!packet) return ExitCode.OK;
      return followTask(client, id, { json: opts.json === true, signal }, io);
    });
  });
}

/** DATA as given, or read from `--data-file` (a trailing newline of a file is dropped). */
async function dataText(opts: TaskCommandOptions): Promise<string> {
  if (opts.dataFile === undefined) {
    if (opts.data === undefined) throw new UsageError('missing DATA (or --data-file PATH)');
    return opts.data;
  }
  if (opts.data !== undefined) throw new UsageError('give DATA or --data-file, not both');
  let text: string;
  try {
    text = opts.dataFile === '-' ? await readStdin() : await readFile(opts.dataFile, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot read --data-file: ${reason}`);
  }
  return text.endsWith('\n') ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The task's data from the DATA argument: as typed for string types, else JSON if it parses. */
export function taskData(type: string, text: string): Json {
  if (STRING_TYPES.has(type)) return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
