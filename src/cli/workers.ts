/** `taskwire workers`: lists the workers connected to a server. */
import { Command } from 'commander';
import type { WorkerInfo } from '../protocol/messages.ts';
import {
  alignedTable,
  clientCommand,
  type Io,
  printJson,
  runWithClient,
  type TargetOptions,
} from './common.ts';

/** Formats workers as an aligned table. */
export function workersTable(workers: WorkerInfo[]): string {
  return alignedTable([
    ['NAME', 'ADDRESS', 'TYPES', 'IN-FLIGHT', 'DONE', 'CONNECTED SINCE'],
    ...workers.map((w) => [
      w.name,
      w.address,
      w.types.join(','),
      `${w.inFlight}/${w.concurrency}`,
      String(w.done),
      w.connectedAt,
    ]),
  ]);
}

type WorkersFlags = TargetOptions & { json?: boolean };

export function runWorkers(flags: WorkersFlags, io: Io): Promise<number> {
  return runWithClient(flags, io, { reconnect: false }, async (c) => {
    const workers = await c.workers();
    if (flags.json) printJson(io, workers);
    else io.stdout.write(`${workersTable(workers)}\n`);
    return 0;
  });
}

/** Builds the `workers` command. */
export function workersCommand(): Command {
  return clientCommand<WorkersFlags>(
    new Command('workers')
      .description('list the workers connected to the server')
      .option('--json', 'print JSON'),
    (flags, io) => runWorkers(flags, io),
  );
}
