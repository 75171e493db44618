/** Runs taskwire as a real child process (for crash and signal tests). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const execCli = promisify(execFile);

/** Runs `taskwire ARGS` against the server on `port` (TASKWIRE_PORT); never rejects. */
export async function taskwire(
  port: number,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execCli(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, TASKWIRE_PORT: String(port) },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Spawns `taskwire ARGS` through tsx. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Every JSON log line the server printed so far. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `taskwire server` on a free port and resolves once it listens. */
export async function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const child = spawnCli(['server', '--port', '0', '--log-level', 'info', ...args], env);
  const logs: Record<string, unknown>[] = [];
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') resolve(entry.port as number);
      } catch {
        // not a log line
      }
    });
    void exited.then(({ code }) =>
      reject(new Error(`server exited (${code}) before listening: ${stderr}`)),
    );
  });
  return { child, port, logs, exited };
}

export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  /** Everything the worker printed on stderr so far. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `taskwire worker` and resolves once the server registered it. */
export async function spawnWorker(
  port: number,
  name: string,
  args: string[],
): Promise<WorkerProcess> {
  const child = spawnCli(['worker', '-P', String(port), '--name', name, ...args]);
  let err = '';
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('connected as')) resolve();
    });
    void exited.then(({ code }) =>
      reject(new Error(`worker exited (${code}) before registering: ${err}`)),
    );
  });
  return { child, name, stderr: () => err, exited };
}

/** The units a stopped worker says the server accepted (its last stderr line). */
export function reportedUnits(stderr: string): number {
  const m = /stopped: \d+ done \((\d+) units\)/.exec(stderr);
  if (!m) throw new Error(`no summary line in: ${stderr}`);
  return Number(m[1]);
}
