/**
 * The operator's commands: `taskwire retry ID`, `taskwire retry --failed [--type T]
 * [--since DATE]`, `taskwire pause TYPE`, `taskwire resume TYPE`, `taskwire types [--json]`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { TASK_STATUSES } from '../model/tasks.ts';
import { parseDateTime, type TypeView } from '../protocol/tasks.ts';
import {
  alignedTable,
  clientCommand,
  ExitCode,
  type Io,
  printJson,
  runCommand,
  runWithClient,
  statusText,
  type TargetOptions,
  UsageError,
} from './common.ts';

type RetryFlags = TargetOptions & {
  failed?: boolean;
  canceled?: boolean;
  type?: string;
  since?: string;
  json?: boolean;
};

/** `--since`: an ISO 8601 date and time with a time zone. */
function sinceOption(value: string): string {
  if (Number.isNaN(parseDateTime(value))) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 date and time with a time zone, e.g. 2026-12-24T18:00:00Z.',
    );
  }
  return value;
}

/** Runs `taskwire retry`; returns the exit code. */
export function runRetry(flags: RetryFlags, io: Io, id: string | undefined): Promise<number> {
  const many = flags.failed === true || flags.canceled === true;
  let problem: string | undefined;
  if (many === (id !== undefined)) problem = 'give a task ID, or --failed (or --canceled)';
  else if (!many && (flags.type !== undefined || flags.since !== undefined)) {
    problem = '--type and --since go with --failed or --canceled';
  } else if (flags.failed && flags.canceled) problem = 'give --failed or --canceled, not both';
  if (problem) return runCommand(io, () => Promise.reject(new UsageError(problem)));
  return runWithClient(flags, io, { reconnect: false }, async (client) => {
    if (id !== undefined) {
      const task = await client.retry(id);
      if (flags.json) printJson(io, task);
      else io.stdout.write(`${statusText(task)}\n`);
      return ExitCode.OK;
    }
    const retried = await client.retryMany({
      status: flags.canceled ? 'canceled' : 'failed',
      ...(flags.type !== undefined && { type: flags.type }),
      ...(flags.since !== undefined && { since: flags.since }),
    });
    if (flags.json) printJson(io, { retried });
    else io.stdout.write(`retried ${retried} task${retried === 1 ? '' : 's'}\n`);
    return ExitCode.OK;
  });
}

/** The `retry` command. */
export function retryCommand(): Command {
  return clientCommand<RetryFlags, [string | undefined]>(
    new Command('retry')
      .description(
        'put a failed or canceled task back in the queue with a fresh attempt budget ' +
          '(its attempt log is kept); with --failed, every failed task (in batches)',
      )
      .argument('[id]', 'task id')
      .option('--failed', 'retry every failed task (with --type, --since: those only)')
      .option('--canceled', 'retry every canceled task instead')
      .option('--type <type>', 'only tasks of this type')
      .option('--since <time>', 'only tasks created at or after: ISO 8601 with a zone', sinceOption)
      .option('--json', 'print the task (or {"retried": N}) as JSON'),
    (flags, io, _signal, id) => runRetry(flags, io, id),
  );
}

/** The `pause` and `resume` commands. */
export function pauseCommand(name: 'pause' | 'resume'): Command {
  const pausing = name === 'pause';
  return clientCommand<TargetOptions, [string]>(
    new Command(name)
      .description(
        pausing
          ? 'stop handing out tasks of a type (running ones finish; new ones queue); stored, on every server'
          : 'hand out tasks of a paused type again',
      )
      .argument('<type>', 'task type'),
    (flags, io, _signal, type) =>
      runWithClient(flags, io, { reconnect: false }, async (client) => {
        const changed = pausing ? await client.pause(type) : await client.resume(type);
        const state = pausing ? 'paused' : 'resumed';
        io.stdout.write(`${type}: ${state}${changed ? '' : ` (it was ${state} already)`}\n`);
        return ExitCode.OK;
      }),
  );
}

/** Formats types as an aligned table: one column per status, and PAUSED. */
export function typesTable(types: TypeView[]): string {
  return alignedTable([
    ['TYPE', ...TASK_STATUSES.map((s) => s.toUpperCase()), 'PAUSED'],
    ...types.map((t) => [
      t.type,
      ...TASK_STATUSES.map((s) => String(t.counts[s])),
      t.paused ? 'yes' : 'no',
    ]),
  ]);
}

/** The `types` command. */
export function typesCommand(): Command {
  return clientCommand<TargetOptions & { json?: boolean }>(
    new Command('types')
      .description('list every task type with its tasks per status and whether it is paused')
      .option('--json', 'print JSON'),
    (flags, io) =>
      runWithClient(flags, io, { reconnect: false }, async (client) => {
        const types = await client.types();
        if (flags.json) printJson(io, types);
        else io.stdout.write(`${typesTable(types)}\n`);
        return ExitCode.OK;
      }),
  );
}
