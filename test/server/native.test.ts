/** The native JSON-RPC protocol end to end: real server, real sockets, real SQLite. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { RawClient, startServer } from '../support/server.ts';

describe('native protocol', () => {
  it('submits, reports status and pushes the result to a waiting client', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const submitted = await c.call('submit', { type: 'flip', data: 'hello 😀 café' });
    const id = submitted.result.id;
    assert.match(id, /^[0-9]+$/);
    const done = await c.call('wait', { id });
    assert.equal(done.result.status, 'done');
    assert.equal(done.result.result, 'éfac 😀 olleh');
    assert.ok(done.result.finishedAt >= done.result.startedAt);
    const status = await c.call('status', { id, attempts: true });
    assert.equal(status.result.status, 'done');
    assert.equal(status.result.attempts, 1);
    assert.equal(status.result.attemptLog[0].worker, 'local');
    assert.equal(status.result.attemptLog[0].state, 'done');
    c.close();
  });

  it('run submits and answers with the finished task in one call; bad specs get an error', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    // Both in flight at once: each answer comes when its own task is finished.
    const first = c.send('run', { type: 'flip', data: 'abc' });
    const second = c.send('run', { type: 'noop', data: { any: ['json'] } });
    const a = await c.responseTo(first);
    const b = await c.responseTo(second);
    assert.equal(a.result.status, 'done');
    assert.equal(a.result.result, 'cba');
    assert.equal(b.result.status, 'done');
    assert.equal(b.result.result, null);
    const stored = await c.call('status', { id: a.result.id });
    assert.deepEqual(stored.result, a.result, 'the answer is the committed task');
    assert.equal(
      (await c.call('run', { type: 'flip', data: '' })).error.code,
      ErrorCode.INVALID_TASK_DATA,
    );
    assert.equal(
      (await c.call('run', { type: 'nope', data: 'x' })).error.code,
      ErrorCode.UNKNOWN_TASK_TYPE,
    );
    c.close();
  });

  it('run answers even when its task is canceled in the very batch that stores it', async () => {
    await using t = await startServer({ local: false, types: ['flip'] });
    const c = await RawClient.connect(t.port);
    const before = Number((await c.call('submit', { type: 'flip', data: 'a' })).result.id);
    // One write, so one read and one batch: the cancel names the id the run's task gets, and
    // a batch applies its cancels after its submits.
    const run = { jsonrpc: '2.0', id: 'run', method: 'run', params: { type: 'flip', data: 'b' } };
    const cancel = {
      jsonrpc: '2.0',
      id: 'cancel',
      method: 'cancel',
      params: { id: String(before + 1) },
    };
    c.write(`${JSON.stringify(run)}\n${JSON.stringify(cancel)}\n`);
    const answers = [JSON.parse(await c.line()), JSON.parse(await c.line())];
    const ran = answers.find((a) => a.id === 'run');
    assert.equal(answers.find((a) => a.id === 'cancel')?.result?.status, 'canceled');
    assert.equal(ran?.result?.id, String(before + 1));
    assert.equal(ran?.result?.status, 'canceled', 'the run is answered with its canceled task');
    c.close();
  });

  it('the client library batches concurrent submits; a bad one fails alone, the others are stored', async () => {
    await using t = await startServer({ local: false, types: ['flip'] });
    const client = await connect({ port: t.port });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => client.submit('flip', i === 150 ? '' : `t${i}`)),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    assert.deepEqual(failed, [150]);
    assert.match(String((results[150] as PromiseRejectedResult).reason), /empty/);
    const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    assert.equal(new Set(ids).size, 199);
    const stored = await Promise.all(ids.map((id) => client.status(id)));
    assert.deepEqual(
      stored.map((v) => v.data),
      results.flatMap((r, i) => (r.status === 'fulfilled' ? [`t${i}`] : [])),
    );
    await client.close();
  });

  it('runs the three built-in types on code points, and accepts the seed aliases', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const cases: [string, string, string][] = [
      ['swap', 'swap', 'wspa'],
      ['swap', 'odd', 'dod'],
      ['2', '👍a🎉', 'a👍🎉'],
      ['repeat', 'repeat', 'reepppeeeeaaaaatttttt'],
      ['3', 'é😀', 'é😀😀'],
      ['1', 'ab😀', '😀ba'],
    ];
    for (const [type, data, expected] of cases) {
      const { result } = await c.call('submit', { type, data });
      const done = await c.call('wait', { id: result.id });
      assert.equal(done.result.result, expected, `${type} ${data}`);
    }
    c.close();
  });

  it('pushes status updates while waiting, then the result', async () => {
    await using t = await startServer({ delayScale: 0.02 });
    const c = await RawClient.connect(t.port);
    const { result } = await c.call('submit', { type: 'flip', data: 'abc' });
    const waitId = c.send('wait', { id: result.id, updates: true });
    const seen: string[] = [];
    for (;;) {
      const msg = await c.json();
      if (msg.method === 'task.update') seen.push(msg.params.task.status);
      if (msg.id === waitId) {
        assert.equal(msg.result.result, 'cba');
        break;
      }
    }
    assert.ok(seen.includes('processing'), `updates seen: ${seen.join(',')}`);
    c.close();
  });

  it('answers pipelined requests out of order: a status is not held behind a wait', async () => {
    await using t = await startServer({ delayScale: 0.05 });
    const c = await RawClient.connect(t.port);
    const { result } = await c.call('submit', { type: 'flip', data: 'slow' });
    const waitId = c.send('wait', { id: result.id });
    const statusId = c.send('status', { id: result.id });
    const first = await c.json();
    assert.equal(first.id, statusId, 'the status answer overtakes the pending wait');
    assert.notEqual(first.result.status, 'done');
    const second = await c.json();
    assert.equal(second.id, waitId);
    assert.equal(second.result.result, 'wols');
    c.close();
  });

  it('serves other clients while a task computes (the delay does not block the loop)', async () => {
    await using t = await startServer({ delayScale: 0.2 }); // flip takes 400 ms
    const a = await RawClient.connect(t.port);
    const b = await RawClient.connect(t.port);
    const { result } = await a.call('submit', { type: 'flip', data: 'x' });
    const waitId = a.send('wait', { id: result.id });
    // While the task runs, b gets answers; the task is still processing when they arrive.
    for (let i = 0; i < 5; i++) {
      const s = await b.call('status', { id: result.id });
      assert.equal(s.result.status, 'processing');
    }
    assert.equal((await a.responseTo(waitId)).result.status, 'done');
    a.close();
    b.close();
  });

  it('runs queued tasks one at a time in FIFO order by default', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const { result } = await c.call('submitMany', {
      tasks: Array.from({ length: 8 }, (_, i) => ({ type: 'flip', data: `t${i}` })),
    });
    assert.equal(result.ids.length, 8);
    const views = [];
    for (const id of result.ids) views.push((await c.call('wait', { id })).result);
    for (let i = 1; i < views.length; i++) {
      assert.ok(
        views[i].startedAt >= views[i - 1].finishedAt,
        'each starts after the previous ended',
      );
      assert.ok(Number(views[i].id) > Number(views[i - 1].id));
    }
    c.close();
  });

  it('handles a JSON-RPC batch and notifications', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    c.write(
      `${JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'submit', params: { type: 'flip', data: 'ab' } },
        { jsonrpc: '2.0', method: 'ping' },
        { jsonrpc: '2.0', id: 'b', method: 'ping' },
      ])}\n`,
    );
    const batch = await c.json();
    assert.ok(Array.isArray(batch));
    assert.deepEqual(batch.map((r: { id: string }) => r.id).sort(), ['a', 'b']);
    c.close();
  });

  it('cancels an enqueued task and refuses to cancel a finished one', async () => {
    await using t = await startServer({ delayScale: 0.05 });
    const c = await RawClient.connect(t.port);
    const first = (await c.call('submit', { type: 'flip', data: 'running' })).result.id;
    const second = (await c.call('submit', { type: 'flip', data: 'queued' })).result.id;
    const waitSecond = c.send('wait', { id: second });
    const canceled = await c.call('cancel', { id: second });
    assert.equal(canceled.result.status, 'canceled');
    assert.equal((await c.responseTo(waitSecond)).result.status, 'canceled', 'the waiter is told');
    await c.call('wait', { id: first });
    const refused = await c.call('cancel', { id: first });
    assert.equal(refused.error.code, ErrorCode.TASK_NOT_CANCELABLE);
    assert.match(refused.error.message, /is done/);
    const missing = await c.call('cancel', { id: '424242' });
    assert.equal(missing.error.code, ErrorCode.TASK_NOT_FOUND);
    c.close();
  });

  it('commits the submissions of one event-loop turn in one transaction', async () => {
    await using t = await startServer();
    let batches = 0;
    t.server.events.on('task:submitted', () => {
      batches += 1;
    });
    const c = await RawClient.connect(t.port);
    const lines = Array.from(
      { length: 200 },
      (_, i) =>
        `${JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'submit', params: { type: 'flip', data: `x${i}` } })}\n`,
    );
    c.write(lines.join(''));
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add((await c.json()).result.id);
    assert.equal(ids.size, 200);
    assert.ok(batches <= 3, `200 pipelined submits took ${batches} transactions`);
    c.close();
  });

  it('runs a multi-unit task until its units reach reps, leasing it again after each report', {
    timeout: 10_000,
  }, async () => {
    await using t = await startServer({ concurrency: 4 });
    const c = await RawClient.connect(t.port);
    const { result } = await c.call('submit', { type: 'tally', data: { key: 7 }, reps: 5 });
    const done = await c.call('wait', { id: result.id });
    assert.equal(done.result.status, 'done');
    assert.ok(done.result.unitsDone >= 5);
    const status = await c.call('status', { id: result.id, attempts: true });
    const units = status.result.attemptLog.reduce(
      (sum: number, a: { units?: number }) => sum + (a.units ?? 0),
      0,
    );
    assert.equal(units, status.result.unitsDone, 'every accepted unit is counted once');
    c.close();
  });
});
