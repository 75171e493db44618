/** `/metrics` after a known workload: every count exact, and the counts the same as the store's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypeLabels } from '../../src/server/task-counts.ts';
import { parseMetrics, sample, scrape } from '../support/metrics.ts';
import { RawClient, startServer } from '../support/server.ts';

const HTTP = { host: '127.0.0.1', port: 0 };
const handlers = new Map([
  ['ok', () => 'fine'],
  [
    'boom',
    () => {
      throw new Error('it broke');
    },
  ],
]);

describe('/metrics', () => {
  it('counts a known workload exactly', async () => {
    await using t = await startServer({
      http: HTTP,
      handlers,
      types: ['later'],
      maxAttempts: 2,
      retryBaseMs: 1,
      metricsReconcileMs: 0,
    });
    const c = await RawClient.connect(t.port);
    for (let i = 0; i < 3; i++) {
      assert.equal((await c.call('run', { type: 'ok', data: i })).result.status, 'done');
    }
    for (let i = 0; i < 2; i++) {
      assert.equal((await c.call('run', { type: 'boom', data: i })).result.status, 'failed');
    }
    const later = await c.call('submitMany', {
      tasks: [
        { type: 'later', data: 1 },
        { type: 'later', data: 2 },
      ],
    });
    assert.equal((await c.call('cancel', { id: later.result.ids[0] })).result.status, 'canceled');
    // A delayed task is scheduled; a second submit of a held key inserts nothing.
    const delayed = await c.call('submit', { type: 'later', data: 3, delay: 3_600_000, key: 'k1' });
    const again = await c.call('submit', { type: 'later', data: 4, key: 'k1' });
    assert.equal(again.result.id, delayed.result.id, 'a duplicate');
    const soon = await c.call('submit', { type: 'later', data: 5, delay: 3_600_000 });
    assert.equal((await c.call('cancel', { id: soon.result.id })).result.status, 'canceled');
    const w = await RawClient.connect(t.port);
    assert.ok((await w.call('worker.hello', { types: ['elsewhere'], concurrency: 1 })).result);

    const m = await scrape(t.server.httpAddress!.port);
    const v = (name: string, labels: Record<string, string> = {}) => sample(m, name, labels);
    assert.equal(v('taskwire_tasks_submitted_total', { type: 'ok' }), 3);
    assert.equal(v('taskwire_tasks_submitted_total', { type: 'boom' }), 2);
    assert.equal(v('taskwire_tasks_submitted_total', { type: 'later' }), 4);
    assert.equal(v('taskwire_tasks_finished_total', { type: 'ok', outcome: 'done' }), 3);
    assert.equal(v('taskwire_tasks_finished_total', { type: 'boom', outcome: 'failed' }), 2);
    assert.equal(v('taskwire_tasks_finished_total', { type: 'later', outcome: 'canceled' }), 2);
    assert.equal(v('taskwire_task_attempts_total', { type: 'ok', outcome: 'done' }), 3);
    assert.equal(v('taskwire_task_attempts_total', { type: 'boom', outcome: 'failed' }), 4);
    assert.equal(v('taskwire_task_run_seconds_count', { type: 'ok' }), 3);
    assert.equal(v('taskwire_task_run_seconds_count', { type: 'boom' }), 4);
    assert.equal(v('taskwire_task_wait_seconds_count', { type: 'ok' }), 3);
    assert.equal(v('taskwire_task_wait_seconds_count', { type: 'boom' }), 4, 'retries wait too');
    assert.equal(v('taskwire_tasks', { type: 'ok', status: 'done' }), 3);
    assert.equal(v('taskwire_tasks', { type: 'ok', status: 'processing' }), 0);
    assert.equal(v('taskwire_tasks', { type: 'boom', status: 'failed' }), 2);
    assert.equal(v('taskwire_tasks', { type: 'boom', status: 'enqueued' }), 0);
    assert.equal(v('taskwire_tasks', { type: 'later', status: 'enqueued' }), 1);
    assert.equal(v('taskwire_tasks', { type: 'later', status: 'canceled' }), 2);
    assert.equal(v('taskwire_tasks', { type: 'later', status: 'scheduled' }), 1);
    const age = v('taskwire_oldest_ready_task_age_seconds', { type: 'later' });
    assert.ok(age !== undefined && age >= 0, 'the waiting type has an age');
    assert.equal(v('taskwire_oldest_ready_task_age_seconds', { type: 'ok' }), undefined);
    assert.equal(v('taskwire_connections', { role: 'client' }), 1);
    assert.equal(v('taskwire_connections', { role: 'worker' }), 1);
    assert.equal(v('taskwire_connections', { role: 'legacy' }), 0);
    assert.equal(v('taskwire_workers'), 2, 'the built-in executor and one remote worker');
    assert.equal(v('taskwire_lease_expirations_total'), 0);
    assert.equal(v('taskwire_auth_failures_total'), 0);
    assert.ok((v('taskwire_store_commit_seconds_count') ?? 0) >= 5);
    assert.equal(v('taskwire_build_info', { version: '0.1.0' }), 1);
    assert.ok(v('process_cpu_seconds_total') !== undefined, "prom-client's process metrics");

    // What was counted in memory is what the store holds: a fresh server reads it at start.
    w.close();
    c.close();
    await t.server.close();
    const counted = m.filter((s) => s.name === 'taskwire_tasks');
    await using t2 = await startServer({ db: t.db, http: HTTP, handlers, types: ['later'] });
    const read = (await scrape(t2.server.httpAddress!.port)).filter(
      (s) => s.name === 'taskwire_tasks',
    );
    const nonzero = (list: typeof counted) =>
      list
        .filter((s) => s.value > 0)
        .map((s) => `${s.labels.type} ${s.labels.status} ${s.value}`)
        .sort();
    assert.deepEqual(nonzero(read), nonzero(counted));
  });

  it('seen on a seed-line connection: role legacy', async () => {
    await using t = await startServer({ http: HTTP });
    const c = await RawClient.connect(t.port);
    c.write('status 1\n');
    await c.line();
    const m = await scrape(t.server.httpAddress!.port);
    assert.equal(sample(m, 'taskwire_connections', { role: 'legacy' }), 1);
    assert.equal(sample(m, 'taskwire_connections', { role: 'client' }), 0);
    c.close();
  });

  it('counts an expired lease', async () => {
    await using t = await startServer({ http: HTTP, local: false, types: ['x'], leaseMs: 100 });
    const w = await RawClient.connect(t.port);
    const c = await RawClient.connect(t.port);
    await w.call('worker.hello', { types: ['x'], concurrency: 1 });
    const expired = t.server.events.next('lease:expired');
    await c.call('submit', { type: 'x', data: 1 });
    await expired;
    const m = await scrape(t.server.httpAddress!.port);
    assert.equal(sample(m, 'taskwire_lease_expirations_total'), 1);
    assert.equal(sample(m, 'taskwire_task_attempts_total', { type: 'x', outcome: 'expired' }), 1);
    w.close();
    c.close();
  });

  it('counts timeouts, cancels of running tasks and retries exactly', async () => {
    await using t = await startServer({
      http: HTTP,
      local: false,
      types: ['x'],
      maxAttempts: 1,
      metricsReconcileMs: 0,
    });
    const w = await RawClient.connect(t.port);
    const c = await RawClient.connect(t.port);
    await w.call('worker.hello', { types: ['x'], concurrency: 4 });
    // One attempt times out (the task fails for good: outcome timeout).
    const slow = (await c.call('submit', { type: 'x', data: 1, timeout: 20 })).result;
    assert.equal((await c.call('wait', { id: slow.id })).result.error, 'timeout');
    // One running task is canceled.
    const leased = t.server.events.next('task:leased');
    const running = (await c.call('submit', { type: 'x', data: 2 })).result;
    await leased;
    assert.equal((await c.call('cancel', { id: running.id })).result.status, 'canceled');
    let m = await scrape(t.server.httpAddress!.port);
    const v = (name: string, labels: Record<string, string>) => sample(m, name, labels);
    assert.equal(v('taskwire_tasks_finished_total', { type: 'x', outcome: 'timeout' }), 1);
    assert.equal(v('taskwire_tasks_finished_total', { type: 'x', outcome: 'canceled' }), 1);
    assert.equal(v('taskwire_task_attempts_total', { type: 'x', outcome: 'timeout' }), 1);
    assert.equal(v('taskwire_task_attempts_total', { type: 'x', outcome: 'canceled' }), 1);
    assert.equal(v('taskwire_tasks', { type: 'x', status: 'failed' }), 1);
    assert.equal(v('taskwire_tasks', { type: 'x', status: 'canceled' }), 1);
    assert.equal(v('taskwire_tasks', { type: 'x', status: 'processing' }), 0);
    // Both retried (the worker is paused by the type's pause): failed/canceled → enqueued.
    await c.call('pause', { type: 'x' });
    assert.equal((await c.call('retry', { id: slow.id })).result.status, 'enqueued');
    assert.equal((await c.call('retry', { id: running.id })).result.status, 'enqueued');
    m = await scrape(t.server.httpAddress!.port);
    assert.equal(v('taskwire_tasks', { type: 'x', status: 'failed' }), 0);
    assert.equal(v('taskwire_tasks', { type: 'x', status: 'canceled' }), 0);
    assert.equal(v('taskwire_tasks', { type: 'x', status: 'enqueued' }), 2);
    w.close();
    c.close();
  });

  it('type labels: the first 50 types get their own, the rest fold into other', () => {
    const labels = new TypeLabels(3);
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'a', 'other', 'e'].map((t) => labels.of(t)),
      ['a', 'b', 'c', 'other', 'a', 'other', 'other'],
    );
  });

  it('parses the exposition format', () => {
    const s = parseMetrics('# HELP x y\nx{a="1",b="q\\"x"} 2\ny 3.5\n');
    assert.deepEqual(s, [
      { name: 'x', labels: { a: '1', b: 'q\\"x' }, value: 2 },
      { name: 'y', labels: {}, value: 3.5 },
    ]);
  });
});
