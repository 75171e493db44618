/** `taskwire cancel ID`: cancels an enqueued or scheduled task. */
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
        'cancel an enqueued or scheduled task (exit 1 if it is not found or not cancelable)',
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
