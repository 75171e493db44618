/** `taskwire server`: runs the task server until SIGINT/SIGTERM. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AUTH_TIMEOUT_MS } from '../server/auth/task-port-auth.ts';
import { type HttpAddress, parseHttpAddress } from '../server/http/address.ts';
import { createLogger, type LogFormat } from '../server/logger.ts';
import { TaskwireServer } from '../server/server.ts';
import { openStoreFromOption } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { number } from './number-option.ts';
import { parseDuration, typeTimeoutOption } from './scheduling-options.ts';
import { addLimitOptions, type LimitFlags, limitOptions } from './server-limits.ts';
import { onReloadSignal, onStopSignals, startedByNpm } from './signals.ts';
import { tierUpSooner } from './tier-up.ts';
import { warmUp } from './warm-up.ts';

/** `--retention 7d`: a duration (30s, 10m, 2h, 7d) in ms, or `0` / `forever` (0: keep tasks). */
export function retentionOption(value: string): number {
  if (value === '0' || value === 'forever') return 0;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError(
      'expected a duration such as 30s, 10m, 12h or 7d, or 0 / forever to keep finished tasks.',
    );
  }
  return ms;
}

const DAY_MS = 24 * 60 * 60 * 1000;

interface ServerFlags extends LimitFlags {
  host: string;
  port: number;
  db?: string;
  store?: string;
  poolSize?: number;
  fsync: boolean;
  delayScale: number;
  concurrency: number;
  local: boolean;
  lease: number;
  taskTimeout?: Map<string, number>;
  maxAttempts: number;
  maxLineBytes: number;
  maxInFlight: number;
  grace: number;
  logLevel: string;
  logFormat?: LogFormat;
  types?: string[];
  tallyPort?: number;
  tallyKeys: number;
  tallyReps: number;
  http?: HttpAddress;
  httpReadOnly: boolean;
  metricsReconcile: number;
  insecure: boolean;
  authFile?: string;
  authTimeout: number;
  legacy: boolean;
  warmUp: number;
  retention: number;
  retentionFailed: number;
}

function httpAddress(value: string): HttpAddress {
  try {
    return parseHttpAddress(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Builds the `server` command. */
export function serverCommand(): Command {
  return addLimitOptions(new Command('server'))
    .description('start the task server')
    .option('-H, --host <host>', 'address to listen on', '127.0.0.1')
    .option('-P, --port <port>', 'port to listen on', number(0, true), 5000)
    .option('--db <path>', 'SQLite database file (default: taskwire.db)')
    .addOption(
      new Option(
        '--store <url>',
        'where tasks are kept: postgres://user@host:5432/db (several servers may share it), or sqlite:PATH',
      )
        .env('TASKWIRE_STORE')
        .conflicts('db'),
    )
    .option(
      '--pool-size <n>',
      'PostgreSQL connections this server opens (default 10)',
      number(1, true),
    )
    .option(
      '--fsync',
      'fsync every commit (synchronous=FULL): committed tasks survive power loss',
      false,
    )
    .option('--delay-scale <x>', 'multiply the simulated task delays by x', number(0), 1)
    .option('--concurrency <n>', 'tasks the built-in executor runs at once', number(1, true), 1)
    .option('--no-local', 'run no built-in executor: every task goes to remote workers')
    .option('--lease <seconds>', 'lease of a task handed to a worker', number(0.05), 30)
    .option(
      '--task-timeout <type=duration>',
      'attempt timeout of tasks of a type that have none of their own, e.g. flip=10s (repeatable)',
      typeTimeoutOption,
    )
    .option(
      '--max-attempts <n>',
      'failed attempts before a task is marked failed',
      number(1, true),
      3,
    )
    .option('--max-line-bytes <n>', 'longest request line accepted', number(64, true), 1024 * 1024)
    .option(
      '--max-in-flight <n>',
      'requests one connection may have in flight (waits included) before it is no longer read',
      number(1, true),
      16_384,
    )
    .option(
      '--tally-port <port>',
      'also serve seed-003 tally workers on this port',
      number(0, true),
    )
    .option('--tally-keys <n>', 'keys of the legacy tally', number(1, true), 1000)
    .option('--tally-reps <n>', 'units each key of the legacy tally needs', number(1, true), 10)
    .addOption(
      new Option(
        '--retention <duration>',
        'delete done and canceled tasks (with their attempts and results) this long after they finished; 0 or forever keeps them',
      )
        .argParser(retentionOption)
        .default(7 * DAY_MS, '7d'),
    )
    .addOption(
      new Option('--retention-failed <duration>', 'the same for failed tasks')
        .argParser(retentionOption)
        .default(30 * DAY_MS, '30d'),
    )
    .option('--grace <seconds>', 'on shutdown, how long running tasks get to finish', number(0), 10)
    .option(
      '--types <list>',
      'task types to accept besides those the executor runs and workers have declared (comma-separated)',
      (value: string) =>
        value
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
    )
    .option(
      '--http <host:port>',
      'serve probes, /metrics and the dashboard over HTTP here (e.g. 127.0.0.1:8080)',
      httpAddress,
    )
    .option('--http-read-only', 'the dashboard shows no actions and refuses them (403)', false)
    .option(
      '--metrics-reconcile <seconds>',
      "how often the metrics' task counts are read again from the store (0: at start only)",
      number(0),
      60,
    )
    .option(
      '--auth-file <file>',
      'tokens and their roles, one "TOKEN ROLE[,ROLE...]" a line (client, worker, admin); ' +
        'every connection must authenticate; SIGHUP reads it again (docs/security.md)',
    )
    .option(
      '--auth-timeout <seconds>',
      'with --auth-file: how long a new connection has to authenticate',
      number(0.05),
      DEFAULT_AUTH_TIMEOUT_MS / 1000,
    )
    .option(
      '--legacy',
      'with --auth-file: serve the seed line protocol and the tally port (they cannot ' +
        'authenticate) to clients on this machine only',
      false,
    )
    .option(
      '--insecure',
      'serve a non-loopback address (task port, --http) without --auth-file (a trusted network only)',
      false,
    )
    .option(
      '--warm-up <runs>',
      'before listening, run this many tasks through a throwaway server, so that the first clients meet compiled code (0: none)',
      number(0, true),
      0,
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines as JSON, or readable (default: readable on a terminal)',
      ).choices(['json', 'pretty']),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        .default('info'),
    )
    .action(async (flags: ServerFlags) => {
      const v8Flags = tierUpSooner();
      const logger = createLogger(
        flags.logLevel,
        flags.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'),
      );
      logger.debug({ v8Flags }, 'v8 tiering flags set');
      let limits: ReturnType<typeof limitOptions>;
      let store: Store;
      try {
        limits = limitOptions(flags);
        store = openStoreFromOption(flags.store ?? flags.db ?? 'taskwire.db', {
          fsync: flags.fsync,
          ...(flags.poolSize === undefined ? {} : { poolSize: flags.poolSize }),
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`taskwire: ${message}\n`);
        process.exit(2);
      }
      const server = new TaskwireServer({
        host: flags.host,
        port: flags.port,
        store,
        delayScale: flags.delayScale,
        concurrency: flags.concurrency,
        local: flags.local,
        leaseMs: flags.lease * 1000,
        ...(flags.taskTimeout && { taskTimeouts: flags.taskTimeout }),
        maxAttempts: flags.maxAttempts,
        maxLineBytes: flags.maxLineBytes,
        maxInFlight: flags.maxInFlight,
        graceMs: flags.grace * 1000,
        ...(flags.types === undefined ? {} : { types: flags.types }),
        ...(flags.tallyPort === undefined
          ? {}
          : { tally: { port: flags.tallyPort, keys: flags.tallyKeys, reps: flags.tallyReps } }),
        ...(flags.http && { http: { ...flags.http, readOnly: flags.httpReadOnly } }),
        insecure: flags.insecure,
        ...(flags.authFile !== undefined && {
          authFile: flags.authFile,
          authTimeoutMs: flags.authTimeout * 1000,
          legacy: flags.legacy,
        }),
        metricsReconcileMs: flags.metricsReconcile * 1000,
        retentionMs: flags.retention,
        retentionFailedMs: flags.retentionFailed,
        ...limits,
        logger,
      });
      // The handlers go in before the start: a signal that comes while it runs is not lost.
      const starting = (
        flags.warmUp > 0
          ? warmUp(flags.warmUp).then((w) => logger.info(w, 'warmed up'))
          : Promise.resolve()
      ).then(() => server.start());
      onStopSignals(
        (reason) => {
          logger.info(
            { reason },
            'stopping: running tasks get the grace period, then go back to the queue',
          );
          // A signal during the start waits for it, so the close sees what it opened.
          starting
            .catch(() => undefined)
            .then(() => server.close())
            .then(
              () => process.exit(0),
              (error: unknown) => {
                logger.error({ err: error }, 'shutdown failed');
                process.exit(1);
              },
            );
        },
        (signal) => {
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        },
        { watchParent: startedByNpm() },
      );
      // SIGHUP reads the auth file again (without one, SIGHUP keeps its default: it stops).
      // With TLS it reloads the certificate and key too (TaskwireServer.reload).
      if (flags.authFile !== undefined || limits.tls) {
        onReloadSignal(
          () =>
            void starting.then(
              () => server.reload(),
              () => undefined,
            ),
        );
      }
      try {
        await starting;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`taskwire: cannot start the server: ${message}\n`);
        await server.close().catch(() => undefined);
        process.exit(1);
      }
    });
}
