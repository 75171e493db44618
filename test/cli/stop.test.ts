/**
 * Stopping a server started through npm: a signal to `npm start` reaches the server, and a
 * server whose npm wrapper is gone (npx runs it through `sh -c`, which passes no signal on)
 * stops by itself, so neither leaves the port and the database held.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Resolves with the port of the first `listening` log line the child prints. */
function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // npm's own banner
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'listening') resolve(entry.port!);
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before listening`)));
  });
}

/** A connection to the server: it closes when the server process goes away. */
async function holdConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  return socket;
}

/** Resolves when the socket closes, by a FIN or a reset alike. */
function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

async function refused(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    socket.destroy();
    return false;
  } catch {
    return true;
  }
}

describe('stopping a server started through npm', () => {
  it('SIGTERM to `npm start` stops the server', async () => {
    const tmp = tempDir();
    const npm = spawn('npm', ['start', '--', '-P', '0', '--db', join(tmp.dir, 't.db')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await listening(npm);
      const conn = await holdConnection(port);
      npm.kill('SIGTERM');
      await closed(conn);
      assert.equal(await refused(port), true, 'the port is free again');
    } finally {
      npm.kill('SIGKILL');
      tmp.remove();
    }
  });

  it('a server whose npm wrapper shell was killed stops by itself', async () => {
    const tmp = tempDir();
    const cli = `"${process.execPath}" --import tsx src/cli/main.ts server -P 0 --db "${join(tmp.dir, 't.db')}"`;
    // As npx runs a bin: through sh -c, with npm's environment; `; true` keeps sh waiting.
    const sh = spawn('sh', ['-c', `${cli}; true`], {
      cwd: ROOT,
      env: { ...process.env, npm_command: 'exec' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await listening(sh);
      const conn = await holdConnection(port);
      sh.kill('SIGKILL');
      await closed(conn);
      assert.equal(await refused(port), true, 'the port is free again');
    } finally {
      tmp.remove();
    }
  });
});
