/** What the client commands share: connection options, exit codes, error and task output. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  AddressError,
  parseAddressList,
  parsePort,
  type ServerAddress,
} from '../client/address.ts';
import {
  AuthError,
  type Client,
  ClientClosedError,
  type ClientTlsOptions,
  ConnectError,
  ConnectionLostError,
  connect,
  ForbiddenError,
  RpcError,
  TlsError,
} from '../client/index.ts';
import type { Json } from '../model/tasks.ts';
import type { TaskView } from '../protocol/tasks.ts';
import { untilStopSignal } from './signals.ts';
import { addTlsOptions, type TlsFlags, tlsOption } from './tls-options.ts';

/** The CLI's exit codes. */
export const ExitCode = {
  OK: 0,
  /** The task failed or was canceled; also: not found, not cancelable, other server errors. */
  TASK_FAILED: 1,
  USAGE: 2,
  CANNOT_CONNECT: 3,
  /** The server refused the token (UNAUTHORIZED), or it lacks the role (FORBIDDEN). */
  REFUSED: 4,
  /** Ctrl-C: detached from a task that keeps running. */
  INTERRUPTED: 130,
} as const;

/** Where a command writes; injectable so commands can be tested in-process. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Whether stdout is a terminal (status lines are then rewritten in place). */
  isTTY: boolean;
}

/** The real process streams. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, isTTY: process.stdout.isTTY === true };
}

/** Bad input found after commander parsed the command line; exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The `--host`/`--port`/`--order` options every client command takes. */
export interface TargetOptions extends TlsFlags {
  /** One server or a list: `host[:port][,host[:port]…]` (IPv6 in brackets). */
  host: string;
  /** A number once parsed from the command line; a string when it came from the environment. */
  port: number | string;
  /** Which server of the list to try first (default ordered: the first). */
  order?: 'ordered' | 'random';
  /** `--token` or TASKWIRE_TOKEN: for a server with `--auth-file`. */
  token?: string;
}

/** What the client library needs to connect: the parsed address list, its order, a token. */
export interface Target {
  addresses: ServerAddress[];
  order: 'ordered' | 'random';
  tls?: boolean | ClientTlsOptions;
  token?: string;
}

/** Adds `-H, --host`, `-P, --port` and `--order`, defaulting to TASKWIRE_HOST / TASKWIRE_PORT. */
export function addTargetOptions(cmd: Command, env: NodeJS.ProcessEnv = process.env): Command {
  return addTlsOptions(cmd)
    .addOption(
      new Option(
        '-H, --host <addresses>',
        'server, or servers sharing one database to fail over between: ' +
          'host[:port][,host[:port]...], IPv6 in brackets, e.g. a:5000,b,[::1]:7000 (env TASKWIRE_HOST)',
      ).default(env.TASKWIRE_HOST || '127.0.0.1'),
    )
    .addOption(
      new Option('-P, --port <port>', 'server port of addresses without one (env TASKWIRE_PORT)')
        .default(env.TASKWIRE_PORT || '5000')
        .argParser((value) => {
          const port = parsePort(value);
          if (port === undefined) throw new InvalidArgumentError('expected a port, 1-65535.');
          return port;
        }),
    )
    .addOption(
      new Option(
        '--order <order>',
        'which server of the --host list to try first: the first, or a random one (spreads load)',
      )
        .choices(['ordered', 'random'])
        .default('ordered'),
    )
    .addOption(
      // From the environment, never a default: help output must not show it.
      new Option('--token <token>', 'token for a server with --auth-file (env TASKWIRE_TOKEN)'),
    );
}

/** `--token`, else TASKWIRE_TOKEN when set and not empty. */
function tokenOf(opts: TargetOptions, env: NodeJS.ProcessEnv): string | undefined {
  return opts.token ?? (env.TASKWIRE_TOKEN || undefined);
}

/** The servers to connect to; a bad address list or TASKWIRE_PORT is a usage error. */
export function resolveTarget(opts: TargetOptions, env = process.env): Target {
  const port = typeof opts.port === 'number' ? opts.port : parsePort(opts.port);
  if (port === undefined) throw new UsageError(`invalid port '${opts.port}' (TASKWIRE_PORT)`);
  let tls: Target['tls'];
  try {
    tls = tlsOption(opts, env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const token = tokenOf(opts, env);
  try {
    return {
      addresses: parseAddressList(opts.host, port),
      order: opts.order ?? 'ordered',
      ...(token !== undefined && { token }),
      ...(tls && { tls }),
    };
  } catch (err) {
    if (err instanceof AddressError) throw new UsageError(`${err.message} (-H or TASKWIRE_HOST)`);
    throw err;
  }
}

/** Parses a positive integer option such as `--reps`. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return n;
}

/**
 * A command that talks to a server: `-H/--host`, `-P/--port`, `--order`, and an action that
 * runs `run` with the parsed flags, the process streams and, if `stoppable`, a signal that
 * the first SIGINT/SIGTERM aborts (detach), then sets the exit code.
 */
export function clientCommand<F extends TargetOptions, A extends unknown[] = []>(
  command: Command,
  run: (flags: F, io: Io, signal: AbortSignal | undefined, ...args: A) => Promise<number>,
  stoppable = false,
): Command {
  return addTargetOptions(command).action(async (...all: unknown[]) => {
    const cmd = all.at(-1) as Command;
    const args = all.slice(0, -2) as A;
    const flags = cmd.optsWithGlobals<F>();
    const io = processIo();
    process.exitCode = stoppable
      ? await untilStopSignal((signal) => run(flags, io, signal, ...args))
      : await run(flags, io, undefined, ...args);
  });
}

/** Connects, runs `fn`, closes; expected errors become one stderr line and an exit code. */
export function runWithClient(
  opts: TargetOptions,
  io: Io,
  clientOpts: { reconnect: boolean },
  fn: (client: Client) => Promise<number>,
): Promise<number> {
  return runCommand(io, () => withClient(opts, clientOpts, fn));
}

/** Connects, runs `fn`, and always closes the connection. */
export async function withClient<T>(
  opts: TargetOptions,
  clientOpts: { reconnect: boolean },
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect({ ...resolveTarget(opts), ...clientOpts });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Runs a command's body; expected errors become one stderr line and an exit code. */
export async function runCommand(io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    return reportError(err, io);
  }
}

/** Prints an error the way the CLI does and returns its exit code. */
export function reportError(err: unknown, io: Io): number {
  const say = (message: string) => io.stderr.write(`taskwire: ${message}\n`);
  if (err instanceof UsageError) {
    say(err.message);
    return ExitCode.USAGE;
  }
  if (err instanceof AuthError || err instanceof ForbiddenError) {
    say(err instanceof AuthError ? `token refused: ${err.message}` : err.message);
    return ExitCode.REFUSED;
  }
  if (
    err instanceof ConnectError ||
    err instanceof ConnectionLostError ||
    err instanceof TlsError
  ) {
    say(err.message);
    return ExitCode.CANNOT_CONNECT;
  }
  if (err instanceof RpcError || err instanceof ClientClosedError) {
    say(err.message);
    return ExitCode.TASK_FAILED;
  }
  // Not an expected error: a bug, so the stack helps.
  say(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return ExitCode.TASK_FAILED;
}

/** Rows as a table: columns padded to their widest cell, two spaces apart. */
export function alignedTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Writes one JSON value as a line. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A task result as printed: strings raw, other values as JSON. */
export function formatResult(result: Json | undefined): string {
  if (result === undefined) return '';
  return typeof result === 'string' ? result : JSON.stringify(result);
}

/** `ID: STATUS`, plus progress and units while it runs. */
export function statusText(task: TaskView): string {
  let text = `${task.id}: ${task.status}`;
  if (task.status === 'scheduled' && task.runAt) text += ` until ${task.runAt}`;
  if (task.status === 'processing' && task.progress !== undefined) {
    text += ` ${Math.round(task.progress * 100)}%`;
  }
  if (task.reps > 1) text += ` (${task.unitsDone}/${task.reps} units)`;
  return text;
}

/** The exit code for a task's final state. */
export function exitCodeOf(task: TaskView): number {
  return task.status === 'failed' || task.status === 'canceled'
    ? ExitCode.TASK_FAILED
    : ExitCode.OK;
}
