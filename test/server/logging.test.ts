/**
 * What the server logs at each level: at the default level (info) a line per connection and
 * per worker, not per task; a task's state changes only at debug. A line per task at info
 * would be 50,000 JSON lines a second under load.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { connect } from '../../src/client/client.ts';
import { startServer } from '../support/server.ts';

/** A pino logger at `level` whose JSON lines land in `lines`. */
function capturingLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

/** Runs one task to done on a server logging at `level`; its id and the server's log lines. */
async function runOneTask(level: string) {
  const { logger, lines } = capturingLogger(level);
  await using s = await startServer({ logger });
  const client = await connect({ port: s.port, reconnect: false });
  try {
    const task = await client.run('flip', 'abc');
    assert.equal(task.status, 'done');
    return { id: Number(task.id), lines };
  } finally {
    await client.close();
  }
}

describe('server logging', () => {
  it('at info: connections are logged, task state changes are not', async () => {
    const { lines } = await runOneTask('info');
    assert.ok(
      lines.some((l) => l.msg === 'client connected'),
      'the connection is logged at info',
    );
    const perTask = lines.filter((l) => l.task !== undefined);
    assert.deepEqual(perTask, [], 'no line per task at info');
  });

  it('at debug: each state change of a task is a line', async () => {
    const { id, lines } = await runOneTask('debug');
    const states = lines.filter((l) => l.task === id).map((l) => l.msg);
    assert.deepEqual(states, ['task enqueued', 'task done']);
    const done = lines.find((l) => l.task === id && l.msg === 'task done');
    assert.equal(done?.status, 'done');
    assert.equal(done?.units, 1);
  });

  it('at info: a task that fails its last attempt is a warn line with its error', async () => {
    const { logger, lines } = capturingLogger('info');
    const handlers = new Map([
      [
        'boom',
        () => {
          throw new Error('it broke');
        },
      ],
    ]);
    await using s = await startServer({ logger, handlers, maxAttempts: 1 });
    const client = await connect({ port: s.port, reconnect: false });
    try {
      const task = await client.run('boom', null);
      assert.equal(task.status, 'failed');
      const failed = lines.filter((l) => l.task === Number(task.id));
      assert.deepEqual(
        failed.map((l) => [l.level, l.msg, l.type, l.error]),
        [[40, 'task failed', 'boom', 'it broke']],
      );
    } finally {
      await client.close();
    }
  });
});
