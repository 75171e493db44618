/** `taskwire ping`: a health check — exits 0 when the server answers and its store works. */
import { Command } from 'commander';
import {
  addTargetOptions,
  ExitCode,
  type Io,
  printJson,
  processIo,
  runCommand,
  type TargetOptions,
  withClient,
} from './common.ts';

export async function runPing(flags: TargetOptions & { json?: boolean }, io: Io): Promise<number> {
  const pong = await withClient(flags, { reconnect: false }, (c) => c.ping());
  if (flags.json) printJson(io, pong);
  else io.stdout.write(`${pong.server}: store ${pong.store}\n`);
  return pong.store === 'ok' ? ExitCode.OK : ExitCode.TASK_FAILED;
}

/** Builds the `ping` command. */
export function pingCommand(): Command {
  return addTargetOptions(new Command('ping'))
    .description('check that the server answers and its store works (exit 1 when it does not)')
    .option('--json', 'print JSON')
    .action(async (flags: TargetOptions & { json?: boolean }) => {
      const io = processIo();
      process.exitCode = await runCommand(io, () => runPing(flags, io));
    });
}
