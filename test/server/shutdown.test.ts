/** SIGTERM: stop accepting, let running tasks finish or hand them back, close cleanly, exit 0. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnServer } from '../support/process.ts';
import { RawClient, tempDir } from '../support/server.ts';

async function runningTask(port: number, data: string): Promise<{ c: RawClient; id: string }> {
  const c = await RawClient.connect(port);
  const { result } = await c.call('submit', { type: 'flip', data });
  const waitId = c.send('wait', { id: result.id, updates: true });
  for (;;) {
    const msg = await c.json();
    if (msg.method === 'task.update' && msg.params.task.status === 'processing') break;
    assert.notEqual(msg.id, waitId, 'the task must still be running');
  }
  return { c, id: result.id };
}

describe('graceful shutdown', () => {
  it('finishes a running task within the grace period, then exits 0', {
    timeout: 60_000,
  }, async () => {
    const tmp = tempDir();
    try {
      const db = join(tmp.dir, 's.db');
      const first = await spawnServer(['--db', db, '--delay-scale', '0.1', '--grace', '30']);
      const { c, id } = await runningTask(first.port, 'graceful');
      first.child.kill('SIGTERM');
      assert.equal((await first.exited).code, 0);
      c.close();
      const second = await spawnServer(['--db', db]);
      const s = await RawClient.connect(second.port);
      const status = await s.call('status', { id, attempts: true });
      assert.equal(status.result.status, 'done');
      assert.equal(status.result.result, 'lufecarg');
      assert.equal(status.result.attempts, 1, 'finished in its first attempt, not rerun');
      s.close();
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    } finally {
      tmp.remove();
    }
  });

  it('puts a task that outlives the grace period back in the queue; it runs after restart', {
    timeout: 60_000,
  }, async () => {
    const tmp = tempDir();
    try {
      const db = join(tmp.dir, 's.db');
      const first = await spawnServer(['--db', db, '--delay-scale', '10', '--grace', '0.05']);
      const { c, id } = await runningTask(first.port, 'later');
      first.child.kill('SIGTERM');
      assert.equal((await first.exited).code, 0);
      c.close();
      const second = await spawnServer(['--db', db, '--delay-scale', '0.001']);
      const s = await RawClient.connect(second.port);
      const done = await s.call('wait', { id });
      assert.equal(done.result.result, 'retal');
      const status = await s.call('status', { id, attempts: true });
      assert.deepEqual(
        status.result.attemptLog.map((a: { state: string }) => a.state),
        ['released', 'done'],
      );
      s.close();
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    } finally {
      tmp.remove();
    }
  });
});
