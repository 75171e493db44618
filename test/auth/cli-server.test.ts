/**
 * Auth through the command line, as real processes: `taskwire server --auth-file` (a bad
 * file, protected mode, SIGHUP).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuthError, connect } from '../../src/client/index.ts';
import { AUTH_LINES, TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { cli, nextLog, stop } from '../support/cli-run.ts';
import { spawnServer } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

const dir = tempDir('taskwire-auth-cli-');
after(() => dir.remove());

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
