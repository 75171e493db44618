/**
 * `taskwire tally --keys N --reps R`: the seed-003 job on the ordinary queue. Submits one
 * `tally` task per key, shows a live progress bar until every key reached reps, then a
 * summary. `taskwire tally status [ID]` looks again later.
 */
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import type { Client } from '../client/index.ts';
import type { TallyView } from '../protocol/messages.ts';
import {
  clientCommand,
  ExitCode,
  type Io,
  positiveInt,
  printJson,
  processIo,
  runWithClient,
  type TargetOptions,
} from './common.ts';

/** How often the progress bar is refreshed from the server. */
const REFRESH_MS = 200;

interface TallyFlags extends TargetOptions {
  keys: number;
  reps: number;
  json?: boolean;
}

/** The human summary of a tally. */
export function tallySummary(t: TallyView): string {
  const state = t.finishedAt
    ? `done in ${(t.elapsedMs / 1000).toFixed(2)} s`
    : `running for ${(t.elapsedMs / 1000).toFixed(1)} s`;
  return [
    `tally ${t.id}: ${t.keys} keys × ${t.reps} reps, ${t.keysDone}/${t.keys} keys done, ${state}`,
    `units per key: min ${t.unitsMin}, max ${t.unitsMax}; total units ${t.unitsTotal}`,
    `workers (${t.workers.length}): ${t.workers.join(', ') || 'none yet'}`,
  ].join('\n');
}

/** Polls the tally for the progress display until it is done or `signal` aborts. */
async function follow(
  client: Client,
  id: string,
  io: Io,
  signal: AbortSignal,
): Promise<TallyView | undefined> {
  const bar = io.isTTY
    ? new SingleBar({
        format: 'tally {bar} {value}/{total} keys | {units} units | {duration_formatted}',
        hideCursor: true,
      })
    : undefined;
  let view = await client.call('tally.status', { id });
  bar?.start(view.keys, view.keysDone, { units: view.unitsTotal });
  let lastReported = -1;
  try {
    while (view.keysDone < view.keys) {
      if (signal.aborted) return undefined;
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
      view = await client.call('tally.status', { id });
      bar?.update(view.keysDone, { units: view.unitsTotal });
      const decile = Math.floor((view.keysDone / view.keys) * 10);
      if (!bar && decile !== lastReported) {
        lastReported = decile;
        io.stderr.write(`tally ${id}: ${view.keysDone}/${view.keys} keys done\n`);
      }
    }
  } finally {
    bar?.stop();
  }
  return view;
}

/** Runs `taskwire tally`; returns the exit code. */
export function runTally(flags: TallyFlags, io: Io, signal: AbortSignal): Promise<number> {
  return runWithClient(flags, io, { reconnect: true }, async (client) => {
    const { id } = await client.call('tally.create', { keys: flags.keys, reps: flags.reps });
    if (!flags.json)
      io.stderr.write(`tally ${id}: ${flags.keys} keys × ${flags.reps} reps submitted\n`);
    const view = await follow(client, id, io, signal);
    if (!view) {
      io.stderr.write(
        `detached; the tally keeps running. Look again with: taskwire tally status ${id}\n`,
      );
      return ExitCode.INTERRUPTED;
    }
    if (flags.json) printJson(io, view);
    else io.stdout.write(`${tallySummary(view)}\n`);
    return ExitCode.OK;
  });
}

/** Runs `taskwire tally status`; returns the exit code. */
export function runTallyStatus(
  flags: TargetOptions & { json?: boolean },
  id: string | undefined,
  io: Io,
): Promise<number> {
  return runWithClient(flags, io, { reconnect: false }, async (client) => {
    const view = await client.call('tally.status', id === undefined ? {} : { id });
    if (flags.json) printJson(io, view);
    else io.stdout.write(`${tallySummary(view)}\n`);
    return ExitCode.OK;
  });
}

/** Builds the `tally` command and its `status` subcommand. */
export function tallyCommand(): Command {
  // The host/port options belong to `tally`; `tally status` reads them from there too.
  const status = new Command('status')
    .description('show a tally (the latest one without ID)')
    .argument('[id]', 'tally id')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, _local: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<TargetOptions & { json?: boolean }>();
      process.exitCode = await runTallyStatus(flags, id, processIo());
    });
  return clientCommand<TallyFlags>(
    new Command('tally')
      .description('run the seed-003 tally: every key of 0..keys-1 done at least reps times')
      .option('--keys <n>', 'number of keys', positiveInt, 1000)
      .option('--reps <n>', 'units each key needs', positiveInt, 10)
      .option('--json', 'print the summary as JSON'),
    (flags, io, signal) => runTally(flags, io, signal!),
    true,
  ).addCommand(status);
}
