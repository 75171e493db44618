/**
 * Client commands and `taskwire worker` against `taskwire server --auth-file`, as real
 * processes: a refused token or a missing role is one line and exit code 4, no endless
 * reconnecting.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AUTH_LINES, TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { cli, nextLog, stop } from '../support/cli-run.ts';
import { spawnCli, spawnServer, spawnWorker } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

const dir = tempDir('taskwire-auth-cli-');
after(() => dir.remove());

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
