#!/usr/bin/env node
/** The `taskwire` command line: the server and the client commands. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { cancelCommand } from './cancel.ts';
import { ExitCode, processIo, reportError } from './common.ts';
import { pauseCommand, retryCommand, typesCommand } from './operate.ts';
import { pingCommand } from './ping.ts';
import { scheduleCommand } from './schedule.ts';
import { serverCommand } from './server.ts';
import { statusCommand } from './status.ts';
import { tallyCommand } from './tally.ts';
import { taskCommand } from './task.ts';
import { waitCommand } from './wait.ts';
import { workerCommand } from './worker.ts';
import { workersCommand } from './workers.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The whole program; bad usage throws a CommanderError instead of exiting. */
function buildProgram(): Command {
  const program = new Command('taskwire')
    .description('a durable TCP task server and its client')
    .version(pkg.version)
    .addCommand(serverCommand())
    .addCommand(taskCommand())
    .addCommand(statusCommand())
    .addCommand(waitCommand())
    .addCommand(cancelCommand())
    .addCommand(retryCommand())
    .addCommand(pauseCommand('pause'))
    .addCommand(pauseCommand('resume'))
    .addCommand(typesCommand())
    .addCommand(workerCommand())
    .addCommand(workersCommand())
    .addCommand(pingCommand())
    .addCommand(tallyCommand())
    .addCommand(scheduleCommand());
  applyUsageHandling(program);
  return program;
}

/** Usage errors become one stderr line and exit 2, on every command (addCommand copies no settings). */
function applyUsageHandling(cmd: Command): void {
  cmd.exitOverride().configureOutput({
    outputError: (message, write) => {
      const oneLine = message
        .replace(/^error: /, '')
        .trim()
        .replace(/\s*\n\s*/g, ' ');
      write(`taskwire: ${oneLine}\n`);
    },
  });
  for (const sub of cmd.commands) applyUsageHandling(sub);
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; everything else is bad usage.
    process.exitCode = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  } else {
    process.exitCode = reportError(err, processIo());
  }
}
