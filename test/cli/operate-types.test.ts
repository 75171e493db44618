/**
 * The operator's CLI commands end to end against real servers: task --timeout, server
 * --task-timeout, pause, resume and types --json.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import type { TaskHandler } from '../../src/handlers/run-handler.ts';
import { spawnServer, taskwire } from '../support/process.ts';
import { startServer, tempDir } from '../support/server.ts';

/** A handler that fails its first `failures` runs, then answers `ok`. */
function _flaky(failures: number): TaskHandler {
  let runs = 0;
  return () => {
    runs += 1;
    if (runs <= failures) throw new Error(`boom ${runs}`);
    return 'ok';
  };
}

describe('taskwire timeouts, pause, resume, types', () => {
  it('task --timeout: an attempt past it fails with timeout', async () => {
    await using t = await startServer({ delayScale: 1, maxAttempts: 1 });
    const out = await taskwire(t.port, 'task', 'flip', 'abc', '--timeout', '30ms');
    assert.equal(out.code, 0, out.stderr);
    await using client = await connect({ port: t.port });
    const task = await client.wait(out.stdout.trim());
    assert.deepEqual([task.status, task.error], ['failed', 'timeout']);
    const bad = await taskwire(t.port, 'task', 'flip', 'abc', '--timeout', '0s');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /timeout must be above zero/);
  });

  it('server --task-timeout flip=30ms: a type default applies to tasks without their own', async () => {
    const { dir, remove } = tempDir();
    const server = await spawnServer([
      '--db',
      `${dir}/t.db`,
      '--task-timeout',
      'flip=30ms',
      '--max-attempts',
      '1',
    ]);
    try {
      await using client = await connect({ port: server.port });
      const task = await client.run('flip', 'abc');
      assert.deepEqual([task.status, task.error], ['failed', 'timeout']);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      remove();
    }
    const bad = await taskwire(0, 'server', '--task-timeout', 'flip');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected TYPE=DURATION/);
  });

  it('pause TYPE holds its tasks, types --json shows it, resume TYPE runs them', async () => {
    await using t = await startServer();
    const paused = await taskwire(t.port, 'pause', 'flip');
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(paused.stdout, 'flip: paused\n');
    await using client = await connect({ port: t.port });
    assert.equal(await client.pause('flip'), false, 'paused already');
    const id = await client.submit('flip', 'abc');
    const types = JSON.parse((await taskwire(t.port, 'types', '--json')).stdout);
    const flip = types.find((x: { type: string }) => x.type === 'flip');
    assert.deepEqual(flip, {
      type: 'flip',
      counts: { scheduled: 0, enqueued: 1, processing: 0, done: 0, failed: 0, canceled: 0 },
      paused: true,
    });
    assert.equal(types.find((x: { type: string }) => x.type === 'swap').paused, false);
    const table = await taskwire(t.port, 'types');
    assert.match(table.stdout, /^TYPE\s+SCHEDULED\s+ENQUEUED.*PAUSED\n/);
    assert.match(table.stdout, /\nflip\s+0\s+1\s+0\s+0\s+0\s+0\s+yes\n/);
    const resumed = await taskwire(t.port, 'resume', 'flip');
    assert.equal(resumed.stdout, 'flip: resumed\n');
    assert.equal((await client.wait(id)).status, 'done');
  });
});
