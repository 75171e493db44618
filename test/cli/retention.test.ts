/**
 * `taskwire server --retention`, end to end: a real server process with a 2 s retention
 * deletes a done task about two seconds after it finished, and `taskwire status` then says
 * the task is gone because of retention, not that it never existed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnServer, taskwire } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

describe('taskwire server --retention', () => {
  it('a done task is pruned after the retention; status says so; an unknown id is not found', async () => {
    const { dir, remove } = tempDir();
    // Debug logs carry a line per prune batch ("retention pruned"): the test waits for it.
    const server = await spawnServer([
      '--db',
      join(dir, 'db'),
      '--delay-scale',
      '0',
      '--retention',
      '2s',
      '--log-level',
      'debug',
    ]);
    try {
      const pruned = new Promise<void>((resolve) => {
        const check = () => {
          if (server.logs.some((l) => l.msg === 'retention pruned')) resolve();
        };
        server.child.stdout!.on('data', () => setImmediate(check));
      });
      const run = await taskwire(server.port, 'task', 'flip', 'abc', '--packet');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /cba/);
      const id = run.stdout.trim().split('\n')[0]!.trim();
      assert.match(id, /^\d+$/);
      await pruned;
      const status = await taskwire(server.port, 'status', id);
      assert.equal(status.code, 1);
      assert.equal(
        status.stderr,
        `taskwire: task ${id} was finished and has been deleted by retention\n`,
      );
      const wait = await taskwire(server.port, 'wait', id);
      assert.equal(wait.code, 1);
      assert.match(wait.stderr, /deleted by retention/);
      const unknown = await taskwire(server.port, 'status', '12345');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no such task: 12345/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      remove();
    }
  });

  it('a bad --retention is a usage error', async () => {
    const bad = await taskwire(0, 'server', '--retention', '7 days');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--retention.*expected a duration such as 30s, 10m, 12h or 7d/);
  });
});
