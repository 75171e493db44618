/** `taskwire cancel ID`: cancels a task not finished yet (a running one is stopped). */
import { Command } from 'commander';
import {
  clientCommand,
  ExitCode,
  type Io,
  runWithClient,
  statusText,
  type TargetOptions,
} from './common.ts';

export interface CancelCommandOptions extends TargetOptions {
  id: string;
}

/** The `cancel` command. */
export function cancelCommand(): Command {
  return clientCommand<TargetOptions, [string]>(
    new Command('cancel')
      .description(
        'cancel a task not finished yet; a running one is stopped (its worker is told). ' +
          'Exit 1 if it is not found or already finished',
      )
      .argument('<id>', 'task id'),
    (flags, io, _signal, id) => runCancel({ ...flags, id }, io),
  );
}

/** Runs `taskwire cancel`; returns the exit code. */
export function runCancel(opts: CancelCommandOptions, io: Io): Promise<number> {
  return runWithClient(opts, io, { reconnect: false }, async (client) => {
    io.stdout.write(`${statusText(await client.cancel(opts.id))}\n`);
    return ExitCode.OK;
  });
}
