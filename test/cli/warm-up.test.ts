/**
 * `taskwire server --warm-up N` runs N tasks through a throwaway server before it listens:
 * the real database never sees them, and nothing of the throwaway server is left behind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { spawnServer } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

describe('taskwire server --warm-up', () => {
  it('warms up before listening, in a temporary directory it removes, apart from the real store', async () => {
    const tmp = tempDir();
    const scratch = join(tmp.dir, 'tmp');
    mkdirSync(scratch);
    const server = await spawnServer(
      ['--db', join(tmp.dir, 'real.db'), '--warm-up', '40', '--log-format', 'json'],
      { TMPDIR: scratch },
    );
    try {
      const warmed = server.logs.findIndex((l) => l.msg === 'warmed up');
      const listening = server.logs.findIndex((l) => l.msg === 'listening');
      assert.ok(warmed >= 0 && warmed < listening, JSON.stringify(server.logs));
      assert.equal(server.logs[warmed]?.runs, 40);
      // (tsx keeps its cache there too.)
      const left = readdirSync(scratch).filter((name) => name.startsWith('taskwire-'));
      assert.deepEqual(left, []);

      await using client = await connect({ port: server.port, reconnect: false });
      const task = await client.run('flip', 'abc');
      assert.equal(task.result, 'cba');
      // The real store holds this task only: the warm-up's 40 went to the throwaway one.
      assert.equal(task.id, '1');
    } finally {
      server.child.kill('SIGTERM');
      assert.equal((await server.exited).code, 0);
      tmp.remove();
    }
  });
});
