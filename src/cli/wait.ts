/** `taskwire wait ID`: follows a task live until it ends, then prints its result. */
import { Command } from 'commander';
import type { Client } from '../client/index.ts';
import type { TaskView } from '../protocol/tasks.ts';
import {
  clientCommand,
  ExitCode,
  exitCodeOf,
  formatResult,
  type Io,
  printJson,
  runWithClient,
  statusText,
  type TargetOptions,
} from './common.ts';

export interface WaitCommandOptions extends TargetOptions {
  id: string;
  json?: boolean;
}

/** The `wait` command. */
export function waitCommand(): Command {
  return clientCommand<Omit<WaitCommandOptions, 'id'>, [string]>(
    new Command('wait')
      .description('follow a task until it ends and print its result (exit 1 if it failed)')
      .argument('<id>', 'task id')
      .option('--json', 'print the final task as JSON instead of live status lines'),
    (flags, io, signal, id) => runWait({ ...flags, id }, io, signal),
    true,
  );
}

/** Runs `taskwire wait`; `signal` detaches (Ctrl-C). Returns the exit code. */
export function runWait(opts: WaitCommandOptions, io: Io, signal?: AbortSignal): Promise<number> {
  return runWithClient(opts, io, { reconnect: true }, (client) =>
    followTask(client, opts.id, { json: opts.json === true, signal }, io),
  );
}

/** Packet mode: shows each status change, then the result; exit code from the final status. */
export async function followTask(
  client: Client,
  id: string,
  opts: { json: boolean; signal: AbortSignal | undefined },
  io: Io,
): Promise<number> {
  const line = new StatusLine(io, !opts.json);
  const onDisconnect = ({ address }: { address: string }) => {
    line.break();
    io.stderr.write(`taskwire: connection to ${address} lost; reconnecting\n`);
  };
  client.on('connection:lost', onDisconnect);
  let task: TaskView;
  try {
    task = await client.wait(id, { onUpdate: (t) => line.show(t), signal: opts.signal });
  } catch (err) {
    line.break();
    if (!opts.signal?.aborted) throw err;
    io.stderr.write(`detached; the task keeps running. Resume with: taskwire wait ${id}\n`);
    return ExitCode.INTERRUPTED;
  } finally {
    client.off('connection:lost', onDisconnect);
  }
  line.show(task);
  line.break();
  if (opts.json) {
    printJson(io, task);
  } else if (task.status === 'done') {
    io.stdout.write(`${formatResult(task.result)}\n`);
  } else if (task.status === 'failed') {
    io.stderr.write(`taskwire: task ${id} failed${task.error ? `: ${task.error}` : ''}\n`);
  } else {
    io.stderr.write(`taskwire: task ${id} was canceled\n`);
  }
  return exitCodeOf(task);
}

/** The live status: one line rewritten in place on a TTY, else one line per status change. */
class StatusLine {
  private readonly io: Io;
  private readonly enabled: boolean;
  private last = '';
  private lastStatus = '';
  private open = false;

  constructor(io: Io, enabled: boolean) {
    this.io = io;
    this.enabled = enabled;
  }

  show(task: TaskView): void {
    if (!this.enabled) return;
    const text = statusText(task);
    if (this.io.isTTY) {
      if (text === this.last && this.open) return;
      this.io.stdout.write(`\r\x1b[2K${text}`);
      this.open = true;
    } else if (task.status !== this.lastStatus) {
      this.io.stdout.write(`${task.id}: ${task.status}\n`);
    }
    this.last = text;
    this.lastStatus = task.status;
  }

  /** Ends the rewritten line, so what follows starts on a new one. */
  break(): void {
    if (!this.open) return;
    this.io.stdout.write('\n');
    this.open = false;
  }
}
