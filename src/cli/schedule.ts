/**
 * `taskwire schedule add NAME --cron EXPR TYPE DATA`, `schedule list`, `schedule remove NAME`:
 * cron schedules, kept in the server's store; each tick makes one task.
 */
import { Command } from 'commander';
import type { ScheduleView } from '../protocol/tasks.ts';
import {
  alignedTable,
  clientCommand,
  ExitCode,
  type Io,
  printJson,
  runWithClient,
  type TargetOptions,
} from './common.ts';
import { priorityOption, timeZoneOption } from './scheduling-options.ts';
import { taskData, taskType } from './task.ts';

export interface ScheduleAddOptions extends TargetOptions {
  name: string;
  cron: string;
  type: string;
  data: string;
  tz?: string;
  priority?: number;
  json?: boolean;
}

/** Schedules as an aligned table. */
export function schedulesTable(schedules: ScheduleView[]): string {
  return alignedTable([
    ['NAME', 'CRON', 'TZ', 'TYPE', 'NEXT RUN', 'LAST RUN', 'LAST TASK'],
    ...schedules.map((s) => [
      s.name,
      s.cron,
      s.tz ?? 'UTC',
      s.type,
      s.nextRun ?? '-',
      s.lastRun ?? '-',
      s.lastTask ?? '-',
    ]),
  ]);
}

/** Runs `taskwire schedule add`; returns the exit code. */
export function runScheduleAdd(opts: ScheduleAddOptions, io: Io): Promise<number> {
  return runWithClient(opts, io, { reconnect: false }, async (client) => {
    const type = taskType(opts.type);
    const added = await client.addSchedule({
      name: opts.name,
      cron: opts.cron,
      type,
      data: taskData(type, opts.data),
      ...(opts.tz !== undefined && { tz: opts.tz }),
      ...(opts.priority !== undefined && { priority: opts.priority }),
    });
    if (opts.json) printJson(io, added);
    else {
      const verb = added.created ? 'added' : 'replaced';
      io.stdout.write(`schedule ${added.name} ${verb}; next run ${added.nextRun ?? 'none'}\n`);
    }
    return ExitCode.OK;
  });
}

/** The `schedule` command and its subcommands. */
export function scheduleCommand(): Command {
  const schedule = new Command('schedule').description(
    'cron schedules kept in the server: each tick submits one task',
  );
  schedule.addCommand(
    clientCommand<Omit<ScheduleAddOptions, 'name' | 'type' | 'data'>, [string, string, string]>(
      new Command('add')
        .description('add a schedule (or replace the one of that name)')
        .argument('<name>', 'the schedule name')
        .argument('<type>', 'task type of each tick (as for taskwire task)')
        .argument('<data>', 'task data of each tick (as for taskwire task)')
        .requiredOption(
          '--cron <expr>',
          'cron expression: "*/5 * * * *" (minute hour day month weekday), or 6 fields with seconds first',
        )
        .option(
          '--tz <zone>',
          'IANA time zone the expression is read in (default UTC)',
          timeZoneOption,
        )
        .option('--priority <n>', "the tasks' priority, -1000..1000 (default 0)", priorityOption)
        .option('--json', 'print the schedule as JSON'),
      (flags, io, _signal, name, type, data) => runScheduleAdd({ ...flags, name, type, data }, io),
    ),
  );
  schedule.addCommand(
    clientCommand<TargetOptions & { json?: boolean }>(
      new Command('list')
        .description('list the schedules: name, expression, next run, last run and its task')
        .option('--json', 'print JSON'),
      (flags, io) =>
        runWithClient(flags, io, { reconnect: false }, async (client) => {
          const schedules = await client.listSchedules();
          if (flags.json) printJson(io, schedules);
          else if (schedules.length === 0) io.stdout.write('no schedules\n');
          else io.stdout.write(`${schedulesTable(schedules)}\n`);
          return ExitCode.OK;
        }),
    ),
  );
  schedule.addCommand(
    clientCommand<TargetOptions, [string]>(
      new Command('remove')
        .description('remove a schedule (the tasks it made stay)')
        .argument('<name>', 'the schedule name'),
      (flags, io, _signal, name) =>
        runWithClient(flags, io, { reconnect: false }, async (client) => {
          await client.removeSchedule(name);
          io.stdout.write(`schedule ${name} removed\n`);
          return ExitCode.OK;
        }),
    ),
  );
  return schedule;
}
