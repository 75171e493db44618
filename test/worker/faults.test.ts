/**
 * Worker faults with real processes: SIGKILL mid-task, SIGSTOP past the lease. Every task
 * ends done with one stored result, and nothing is counted twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { flip } from '../../src/handlers/builtins.ts';
import type { TaskView } from '../../src/protocol/tasks.ts';
import { reportedUnits, spawnWorker } from '../support/process.ts';
import { startServer } from '../support/server.ts';

function doneAttempts(view: TaskView): number {
  return view.attemptLog?.filter((a) => a.state === 'done').length ?? 0;
}

describe('worker faults', () => {
  it('tasks of a worker killed with SIGKILL mid-task are done by the others, once', {
    timeout: 60_000,
  }, async () => {
    await using t = await startServer({ local: false, leaseMs: 5000 });
    const args = ['--types', 'flip', '--delay-scale', '0.02', '--concurrency', '2'];
    const workers = await Promise.all(['w1', 'w2', 'w3'].map((n) => spawnWorker(t.port, n, args)));
    const client = await connect({ port: t.port });
    const data = Array.from({ length: 60 }, (_, i) => `task ${i} ✓`);
    const ids = await client.submitMany(data.map((d) => ({ type: 'flip', data: d })));
    // Kill w1 while it holds leases: right after it was handed a task.
    await new Promise<void>((resolve) => {
      t.server.events.on('task:leased', ({ worker }) => {
        if (worker.startsWith('w1@')) resolve();
      });
    });
    workers[0]!.child.kill('SIGKILL');
    const views = await Promise.all(ids.map((id) => client.wait(id)));
    for (const [i, v] of views.entries()) {
      assert.equal(v.status, 'done');
      assert.equal(v.result, flip(data[i]!));
    }
    const logs = await Promise.all(ids.map((id) => client.status(id, { attempts: true })));
    for (const v of logs) assert.equal(doneAttempts(v), 1, `task ${v.id} stored one result`);
    const takenBack = logs
      .flatMap((v) => v.attemptLog ?? [])
      .filter((a) => a.worker.startsWith('w1@') && a.state === 'released');
    assert.ok(takenBack.length >= 1, 'the killed worker’s leases went back to the queue');
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    for (const w of workers.slice(1)) assert.equal((await w.exited).code, 0);
    await client.close();
  });

  it('a worker frozen past its lease loses the task to another; after SIGCONT nothing is counted twice', {
    timeout: 60_000,
  }, async () => {
    await using t = await startServer({ local: false, leaseMs: 600 });
    const frozen = await spawnWorker(t.port, 'frozen', ['--types', 'flip', '--delay-scale', '1']);
    const client = await connect({ port: t.port });
    // Listening before the submit: the lease may be taken before the submit's answer arrives.
    const leased = new Promise<void>((resolve) => {
      t.server.events.on('task:leased', ({ worker }) => {
        if (worker.startsWith('frozen@')) resolve();
      });
    });
    const id = await client.submit('flip', 'stale?');
    await leased;
    frozen.child.kill('SIGSTOP');
    const other = await spawnWorker(t.port, 'other', ['--types', 'flip', '--delay-scale', '0.01']);
    const done = await client.wait(id);
    assert.equal(done.result, '?elats');
    frozen.child.kill('SIGCONT');
    frozen.child.kill('SIGTERM');
    assert.equal((await frozen.exited).code, 0);
    assert.equal(reportedUnits(frozen.stderr()), 0, 'the frozen worker got nothing accepted');
    const view = await client.status(id, { attempts: true });
    assert.equal(view.unitsDone, 1);
    assert.deepEqual(
      view.attemptLog?.map((a) => [a.worker.split('@')[0], a.state]),
      [
        ['frozen', view.attemptLog?.[0]?.state],
        ['other', 'done'],
      ],
    );
    assert.ok(['expired', 'released'].includes(view.attemptLog![0]!.state));
    other.child.kill('SIGTERM');
    assert.equal((await other.exited).code, 0);
    await client.close();
  });
});
