/** Runs the CLI for the auth tests: a command with its environment, a server's next log line. */
import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CLI, type ServerProcess } from './process.ts';

const exec = promisify(execFile);

/** Runs `taskwire ARGS` with `env`; never rejects. */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Resolves with the server's next JSON log line whose msg is `msg`. */
export function nextLog(server: ServerProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: server.child.stdout! });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === msg) {
          lines.close();
          resolve(entry);
        }
      } catch {
        // not a log line
      }
    });
  });
}

/** Stops a server process (SIGTERM) and waits for its exit. */
export async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}
