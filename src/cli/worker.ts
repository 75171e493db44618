/** `taskwire worker`: runs tasks for a server until SIGINT/SIGTERM. */
import { Command, InvalidArgumentError } from 'commander';
import { builtinHandlers } from '../handlers/builtin-handlers.ts';
import { Worker } from '../worker/worker.ts';
import {
  addTargetOptions,
  type Io,
  positiveInt,
  processIo,
  reportError,
  resolveTarget,
  runCommand,
  type TargetOptions,
} from './common.ts';
import { untilStopSignal } from './signals.ts';
import { tierUpSooner } from './tier-up.ts';

interface WorkerFlags extends TargetOptions {
  concurrency: number;
  types: string[];
  delayScale: number;
  name?: string;
  grace: number;
}

function typeList(value: string): string[] {
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (types.length === 0)
    throw new InvalidArgumentError('expected a comma-separated list of types.');
  return types;
}

function scale(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0.');
  return n;
}

/** Runs a worker with the built-in handlers of the chosen types until `signal` aborts. */
export async function runWorker(flags: WorkerFlags, io: Io, signal: AbortSignal): Promise<number> {
  const handlers = builtinHandlers(flags.delayScale);
  const unknown = flags.types.filter((t) => !handlers.has(t));
  if (unknown.length > 0) {
    io.stderr.write(
      `taskwire: unknown type ${unknown.join(', ')}; built-in types: ${[...handlers.keys()].join(', ')}\n`,
    );
    return 2;
  }
  const worker = new Worker({
    ...resolveTarget(flags),
    concurrency: flags.concurrency,
    ...(flags.name ? { name: flags.name } : {}),
  });
  for (const t of flags.types) worker.handle(t, handlers.get(t)!);
  worker.on('worker:registered', ({ workerId, reconnected, address }) =>
    io.stderr.write(
      `${reconnected ? 'reconnected' : 'connected'} as ${workerId}: ${flags.types.join(', ')} × ${flags.concurrency} (server ${address})\n`,
    ),
  );
  worker.on('worker:disconnected', ({ address }) =>
    io.stderr.write(`connection to ${address} lost; running tasks aborted; reconnecting\n`),
  );
  worker.on('worker:error', ({ error, context }) =>
    io.stderr.write(`taskwire worker: ${context}: ${error.message}\n`),
  );
  let refused: Error | undefined;
  await worker.start();
  await new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    worker.on('worker:refused', ({ error }) => {
      refused = error;
      resolve();
    });
  });
  if (refused) {
    await worker.close(0);
    return reportError(refused, io);
  }
  io.stderr.write(
    `stopping: finishing ${worker.inFlight} running task(s), up to ${flags.grace} s\n`,
  );
  await worker.close(flags.grace * 1000);
  io.stderr.write(
    `stopped: ${worker.counts.done} done (${worker.counts.units} units), ${worker.counts.failed} failed, ${worker.counts.refused} refused\n`,
  );
  return 0;
}

/** Builds the `worker` command. */
export function workerCommand(): Command {
  return addTargetOptions(new Command('worker'))
    .description('run tasks for a server: the built-in types, under leases')
    .option('--concurrency <n>', 'tasks run at once', positiveInt, 1)
    .option('--types <list>', 'task types to run', typeList, [
      'flip',
      'swap',
      'repeat',
      'tally',
      'noop',
    ])
    .option('--delay-scale <x>', 'multiply the simulated delays by x', scale, 1)
    .option('--name <name>', 'name shown in `taskwire workers` and in attempt logs')
    .option(
      '--grace <seconds>',
      'on Ctrl-C/SIGTERM, how long running tasks get to finish',
      scale,
      10,
    )
    .action(async (flags: WorkerFlags) => {
      tierUpSooner();
      const io = processIo();
      process.exitCode = await untilStopSignal((signal) =>
        runCommand(io, () => runWorker(flags, io, signal)),
      );
      process.exit();
    });
}
