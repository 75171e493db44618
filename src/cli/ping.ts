/** `taskwire ping`: a health check — exits 0 when the server answers and its store works. */
import { Command } from 'commander';
import {
  clientCommand,
  ExitCode,
  type Io,
  printJson,
  runWithClient,
  type TargetOptions,
} from './common.ts';

type PingFlags = TargetOptions & { json?: boolean };

export function runPing(flags: PingFlags, io: Io): Promise<number> {
  return runWithClient(flags, io, { reconnect: false }, async (c) => {
    const pong = await c.ping();
    if (flags.json) printJson(io, pong);
    else io.stdout.write(`${pong.server}: store ${pong.store}\n`);
    return pong.store === 'ok' ? ExitCode.OK : ExitCode.TASK_FAILED;
  });
}

/** Builds the `ping` command. */
export function pingCommand(): Command {
  return clientCommand<PingFlags>(
    new Command('ping')
      .description('check that the server answers and its store works (exit 1 when it does not)')
      .option('--json', 'print JSON'),
    (flags, io) => runPing(flags, io),
  );
}
