/**
 * Auth through the command line, as real processes: `taskwire server --auth-file` (a bad
 * file, protected mode, SIGHUP), and client commands and `taskwire worker` whose token is
 * refused or lacks the role: one line and exit code 4, no endless reconnecting.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AuthError, connect } from '../../src/client/index.ts';
import { AUTH_LINES, TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { CLI, type ServerProcess, spawnCli, spawnServer, spawnWorker } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

const exec = promisify(execFile);
const dir = tempDir('taskwire-auth-cli-');
after(() => dir.remove());

/** Runs `taskwire ARGS` with `env`; never rejects. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
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
function nextLog(server: ServerProcess, msg: string): Promise<Record<string, unknown>> {
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

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

describe('taskwire server --auth-file', () => {
  it('a bad auth file stops the start with the file and line number', async () => {
    const file = join(dir.dir, 'bad.auth');
    writeFileSync(file, `# tokens\n${TOKENS.client} client\nshort worker\n`);
    const r = await cli([
      'server',
      '--port',
      '0',
      '--db',
      join(dir.dir, 'x.db'),
      '--auth-file',
      file,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.auth:3: token too short \(5 characters; at least 16\)/);
  });

  it('protected mode: a non-loopback --host without --auth-file does not start', async () => {
    const r = await cli([
      'server',
      '--port',
      '0',
      '--host',
      '0.0.0.0',
      '--db',
      join(dir.dir, 'p.db'),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /task port on 0\.0\.0\.0 refuses to start without authentication/);
    assert.match(r.stderr, /--auth-file FILE.*--insecure/s);
  });

  it('SIGHUP reads the file again: a removed token stops working, a bad file keeps the old ones', async () => {
    const file = writeAuthFile(dir.dir);
    const server = await spawnServer(['--db', join(dir.dir, 'hup.db'), '--auth-file', file]);
    try {
      await using client = await connect({
        port: server.port,
        token: TOKENS.client,
        reconnect: false,
      });
      await using worker = await connect({
        port: server.port,
        token: TOKENS.admin,
        reconnect: false,
      });
      writeFileSync(file, 'nonsense\n');
      let logged = nextLog(server, 'auth file not read again; the tokens in force stay');
      server.child.kill('SIGHUP');
      assert.match(String((await logged).error), /:1: token too short/);
      assert.equal((await client.ping()).pong, true);
      writeFileSync(file, AUTH_LINES.filter((l) => !l.startsWith(TOKENS.client)).join('\n'));
      logged = nextLog(server, 'auth file read again');
      server.child.kill('SIGHUP');
      assert.equal((await logged).removed, 1);
      await assert.rejects(client.ping(), AuthError);
      assert.equal((await worker.ping()).pong, true);
      // And the CLI with the removed token: one line, exit 4.
      const r = await cli(['status', '1', '-P', String(server.port), '--token', TOKENS.client]);
      assert.equal(r.code, 4);
      assert.equal(r.stderr, 'taskwire: token refused: invalid token; closing the connection\n');
    } finally {
      await stop(server);
    }
  });
});

describe('taskwire worker whose token is removed', () => {
  it('stops with one line and exit 4 at its next heartbeat, instead of reconnecting', async () => {
    const file = writeAuthFile(dir.dir);
    const server = await spawnServer([
      '--db',
      join(dir.dir, 'w.db'),
      '--auth-file',
      file,
      '--lease',
      '0.6',
    ]);
    try {
      const worker = await spawnWorker(server.port, 'w1', [
        '--types',
        'flip',
        '--token',
        TOKENS.worker,
      ]);
      writeFileSync(file, AUTH_LINES.filter((l) => !l.startsWith(TOKENS.worker)).join('\n'));
      const logged = nextLog(server, 'auth file read again');
      server.child.kill('SIGHUP');
      await logged;
      const { code } = await worker.exited;
      assert.equal(code, 4, worker.stderr());
      assert.match(
        worker.stderr(),
        /\ntaskwire: token refused: this token is no longer valid; closing\n$/,
      );
    } finally {
      await stop(server);
    }
  });
});

describe('client commands and taskwire worker with tokens', () => {
  it('--token or TASKWIRE_TOKEN; a refused token or a missing role exits 4 with one line', async () => {
    const server = await spawnServer([
      '--db',
      join(dir.dir, 'cli.db'),
      '--auth-file',
      writeAuthFile(dir.dir),
    ]);
    const port = String(server.port);
    try {
      const ok = await cli(['task', 'flip', 'abc', '-P', port], { TASKWIRE_TOKEN: TOKENS.client });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^[0-9]+\n$/);
      const flag = await cli(['task', 'flip', 'xy', '-P', port, '--token', TOKENS.client]);
      assert.equal(flag.code, 0, flag.stderr);
      const none = await cli(['status', '1', '-P', port], { TASKWIRE_TOKEN: '' });
      assert.equal(none.code, 4);
      assert.match(none.stderr, /^taskwire: token refused: .*first message must be auth.*\n$/);
      const forbidden = await cli(['workers', '-P', port, '--token', TOKENS.client]);
      assert.equal(forbidden.code, 4);
      assert.equal(forbidden.stderr.split('\n').length, 2, forbidden.stderr);
      assert.match(forbidden.stderr, /^taskwire: workers needs a role this token lacks/);
      const admin = await cli(['workers', '-P', port, '--token', TOKENS.admin]);
      assert.equal(admin.code, 0, admin.stderr);

      for (const [token, pattern] of [
        [
          TOKENS.client,
          /^taskwire: worker\.hello needs a role this token lacks \(it has: client\)\n$/,
        ],
        ['wrong-token-wrong-token-wrong', /^taskwire: token refused: invalid token/],
      ] as const) {
        const child = spawnCli(['worker', '-P', port, '--types', 'flip', '--token', token]);
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        const [code] = await once(child, 'exit');
        assert.equal(code, 4, stderr);
        assert.match(stderr, pattern);
      }
    } finally {
      await stop(server);
    }
  });
});
