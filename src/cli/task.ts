/** `taskwire task TYPE DATA`: submits a task, and with --packet follows it to its result. */
import { Command } from 'commander';
import type { Json } from '../model/tasks.ts';
import {
  addTargetOptions,
  ExitCode,
  type Io,
  onInterrupt,
  positiveInt,
  printJson,
  processIo,
  runCommand,
  type TargetOptions,
  withClient,
} from './common.ts';
import { followTask } from './wait.ts';

/** The seed protocol's numeric aliases. */
const TYPE_ALIASES: Readonly<Record<string, string>> = { 1: 'flip', 2: 'swap', 3: 'repeat' };
/** Types whose data is a string: DATA is sent as typed, never parsed as JSON. */
const STRING_TYPES = new Set(['flip', 'swap', 'repeat']);

export interface TaskCommandOptions extends TargetOptions {
  type: string;
  data: string;
  packet?: boolean;
  json?: boolean;
  reps?: number;
}

/** The `task` command. */
export function taskCommand(): Command {
  return addTargetOptions(
    new Command('task')
      .description('submit a task and print its id')
      .argument(
        '<type>',
        'task type: flip, swap, repeat (or 1, 2, 3), or any type the server knows',
      )
      .argument(
        '<data>',
        'task data: a string for flip/swap/repeat; for other types JSON if it parses, else a string',
      )
      .option('--packet', 'wait for the result, showing each status change (Ctrl-C detaches)')
      .option('--json', 'print {"id": ...} (and with --packet the final task) as JSON')
      .option('--reps <n>', 'units of work the task needs', positiveInt),
  ).action(async (type: string, data: string, opts: Omit<TaskCommandOptions, 'type' | 'data'>) => {
    process.exitCode = await onInterrupt((signal) =>
      runTask({ ...opts, type, data }, processIo(), signal),
    );
  });
}

/** Runs `taskwire task`; `signal` detaches in packet mode (Ctrl-C). Returns the exit code. */
export function runTask(opts: TaskCommandOptions, io: Io, signal?: AbortSignal): Promise<number> {
  return runCommand(io, () => {
    const type = TYPE_ALIASES[opts.type] ?? opts.type;
    const data = taskData(type, opts.data);
    const packet = opts.packet === true;
    return withClient(opts, { reconnect: packet }, async (client) => {
      const id = await client.submit(
        type,
        data,
        opts.reps === undefined ? {} : { reps: opts.reps },
      );
      if (opts.json) printJson(io, { id });
      else io.stdout.write(`${id}\n`);
      if (!packet) return ExitCode.OK;
      return followTask(client, id, { json: opts.json === true, signal }, io);
    });
  });
}

/** The task's data from the DATA argument. */
function taskData(type: string, text: string): Json {
  if (STRING_TYPES.has(type)) return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
