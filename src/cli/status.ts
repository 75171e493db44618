/** `taskwire status ID`: prints a task's state. */
import { Command } from 'commander';
import type { TaskView } from '../protocol/tasks.ts';
import {
  clientCommand,
  exitCodeOf,
  formatResult,
  type Io,
  printJson,
  runWithClient,
  statusText,
  type TargetOptions,
} from './common.ts';

export interface StatusCommandOptions extends TargetOptions {
  id: string;
  json?: boolean;
}

/** The `status` command. */
export function statusCommand(): Command {
  return clientCommand<Omit<StatusCommandOptions, 'id'>, [string]>(
    new Command('status')
      .description("print a task's status, result or error and times (exit 1 if it failed)")
      .argument('<id>', 'task id')
      .option('--json', 'print the task as JSON, with its attempt log'),
    (flags, io, _signal, id) => runStatus({ ...flags, id }, io),
  );
}

/** Runs `taskwire status`; returns the exit code. */
export function runStatus(opts: StatusCommandOptions, io: Io): Promise<number> {
  return runWithClient(opts, io, { reconnect: false }, async (client) => {
    const task = await client.status(opts.id, { attempts: opts.json === true });
    if (opts.json) printJson(io, task);
    else io.stdout.write(describeTask(task));
    return exitCodeOf(task);
  });
}

/** A few readable lines about a task. */
export function describeTask(task: TaskView): string {
  const lines = [statusText(task)];
  lines.push(
    `  type: ${task.type}  priority: ${task.priority}  reps: ${task.reps}  units done: ${task.unitsDone}  attempts: ${task.attempts}`,
  );
  if (task.runAt) lines.push(`  due: ${task.runAt}`);
  if (task.key !== undefined) lines.push(`  key: ${task.key}`);
  if (task.schedule !== undefined) lines.push(`  schedule: ${task.schedule}`);
  if (task.result !== undefined) lines.push(`  result: ${formatResult(task.result)}`);
  if (task.error !== undefined) lines.push(`  error: ${task.error}`);
  const times = [`created ${task.createdAt}`];
  if (task.startedAt) times.push(`started ${task.startedAt}`);
  if (task.finishedAt) times.push(`finished ${task.finishedAt}`);
  lines.push(`  ${times.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
