/** `taskwire cancel ID`: cancels an enqueued task. */
import { Command } from 'commander';
import {
  addTargetOptions,
  ExitCode,
  type Io,
  processIo,
  runCommand,
  statusText,
  type TargetOptions,
  withClient,
} from './common.ts';

export interface CancelCommandOptions extends TargetOptions {
  id: string;
}

/** The `cancel` command. */
export function cancelCommand(): Command {
  return addTargetOptions(
    new Command('cancel')
      .description('cancel an enqueued task (exit 1 if it is not found or not cancelable)')
      .argument('<id>', 'task id'),
  ).action(async (id: string, opts: Omit<CancelCommandOptions, 'id'>) => {
    process.exitCode = await runCancel({ ...opts, id }, processIo());
  });
}

/** Runs `taskwire cancel`; returns the exit code. */
export function runCancel(opts: CancelCommandOptions, io: Io): Promise<number> {
  return runCommand(io, () =>
    withClient(opts, { reconnect: false }, async (client) => {
      io.stdout.write(`${statusText(await client.cancel(opts.id))}\n`);
      return ExitCode.OK;
    }),
  );
}
