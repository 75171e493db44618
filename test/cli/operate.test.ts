/**
 * The operator's CLI commands end to end against real servers: retry (one, and --failed)
 * and cancel of a running task (operate-types.test.ts: timeouts, pause, resume, types).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import type { TaskHandler } from '../../src/handlers/run-handler.ts';
import { taskwire } from '../support/process.ts';
import { startServer } from '../support/server.ts';

/** A handler that fails its first `failures` runs, then answers `ok`. */
function flaky(failures: number): TaskHandler {
  let runs = 0;
  return () => {
    runs += 1;
    if (runs <= failures) throw new Error(`boom ${runs}`);
    return 'ok';
  };
}

describe('taskwire retry and cancel', () => {
  it('retry ID: a failed task runs again with a fresh budget; a done task is refused', async () => {
    await using t = await startServer({ maxAttempts: 1, handlers: new Map([['boom', flaky(1)]]) });
    await using client = await connect({ port: t.port });
    const id = await client.submit('boom', null);
    assert.equal((await client.wait(id)).status, 'failed');
    const retried = await taskwire(t.port, 'retry', id);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(retried.stdout, `${id}: enqueued\n`);
    assert.equal((await client.wait(id)).status, 'done');
    const log = await client.status(id, { attempts: true });
    assert.deepEqual(
      log.attemptLog?.map((a) => a.state),
      ['failed', 'done'],
    );
    assert.equal(log.retries?.[0]?.was, 'failed');
    const refused = await taskwire(t.port, 'retry', id);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /task \d+ is done; only a failed or canceled task can be retried/);
    const usage = await taskwire(t.port, 'retry');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give a task ID, or --failed/);
  });

  it('retry --failed --type: retries every failed task of the type and says how many', async () => {
    await using t = await startServer({
      maxAttempts: 1,
      handlers: new Map([
        ['boom', flaky(3)],
        ['other', flaky(1)],
      ]),
    });
    await using client = await connect({ port: t.port });
    const ids = [
      await client.submit('boom', 1),
      await client.submit('boom', 2),
      await client.submit('boom', 3),
      await client.submit('other', 4),
    ];
    for (const id of ids) assert.equal((await client.wait(id)).status, 'failed');
    const out = await taskwire(t.port, 'retry', '--failed', '--type', 'boom');
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'retried 3 tasks\n');
    for (const id of ids.slice(0, 3)) assert.equal((await client.wait(id)).status, 'done');
    assert.equal((await client.status(ids[3]!)).status, 'failed');
    const since = await taskwire(t.port, 'retry', '--failed', '--since', '2999-01-01T00:00:00Z');
    assert.equal(since.stdout, 'retried 0 tasks\n');
    assert.equal(await client.retryMany({ since: new Date(0) }), 1);
  });

  it('cancel ID of a running task stops it: canceled, its attempt canceled', async () => {
    const reasons: unknown[] = [];
    const hang: TaskHandler = (_task, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reasons.push((ctx.signal.reason as Error).message);
          reject(ctx.signal.reason);
        });
      });
    await using t = await startServer({ handlers: new Map([['hang', hang]]) });
    await using client = await connect({ port: t.port });
    const leased = t.server.events.next('task:leased');
    const id = await client.submit('hang', null);
    await leased;
    const out = await taskwire(t.port, 'cancel', id);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `${id}: canceled\n`);
    const task = await client.status(id, { attempts: true });
    assert.equal(task.status, 'canceled');
    assert.deepEqual(
      task.attemptLog?.map((a) => a.state),
      ['canceled'],
    );
    assert.deepEqual(reasons, ['lease canceled']);
    const again = await taskwire(t.port, 'cancel', id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a finished task cannot be canceled/);
  });
});
