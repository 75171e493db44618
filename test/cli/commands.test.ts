import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { runCancel } from '../../src/cli/cancel.ts';
import type { Io } from '../../src/cli/common.ts';
import { runStatus } from '../../src/cli/status.ts';
import { runTask } from '../../src/cli/task.ts';
import { runWait } from '../../src/cli/wait.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import {
  type ScriptedConnection,
  type ScriptedRequest,
  ScriptedServer,
  taskView,
} from '../client/scripted-server.ts';

/** Captured output of one in-process command run. */
function captureIo(isTTY = false): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY,
    out: () => out,
    err: () => err,
  };
}

/** A scripted server that answers submit with id 7 and runs `onWait` for wait requests. */
async function taskServer(
  t: TestContext,
  onWait: (req: ScriptedRequest, conn: ScriptedConnection) => void = () => {},
): Promise<ScriptedServer> {
  const server = await ScriptedServer.start((req, conn) => {
    if (req.method === 'submit') conn.respond(req.id, { id: '7' });
    if (req.method === 'wait') onWait(req, conn);
  });
  t.after(() => server.close());
  return server;
}

/** Answers a wait with two updates and a final view. */
function finishWith(final: Partial<Parameters<typeof taskView>[1]>) {
  return (req: ScriptedRequest, conn: ScriptedConnection) => {
    conn.update(taskView('7', { status: 'processing', progress: 0.25 }));
    conn.update(taskView('7', { status: 'processing', progress: 0.75 }));
    conn.respond(req.id, taskView('7', final));
  };
}

describe('taskwire task', () => {
  it('submits, resolving type aliases, and prints the id', async (t) => {
    const server = await taskServer(t);
    const io = captureIo();
    assert.equal(
      await runTask({ host: '127.0.0.1', port: server.port, type: '2', data: '42', reps: 3 }, io),
      0,
    );
    assert.equal(io.out(), '7\n');
    assert.deepEqual(server.connections[0]?.requests[0]?.params, {
      type: 'swap',
      data: '42',
      reps: 3,
    });
  });

  it('prints {"id"} with --json and parses JSON data for other types', async (t) => {
    const server = await taskServer(t);
    const io = captureIo();
    await runTask(
      { host: '127.0.0.1', port: server.port, type: 'tally', data: '{"key":5}', json: true },
      io,
    );
    assert.equal(io.out(), '{"id":"7"}\n');
    assert.deepEqual(server.connections[0]?.requests[0]?.params, {
      type: 'tally',
      data: { key: 5 },
    });
  });

  it('--packet shows status lines, then the raw result', async (t) => {
    const server = await taskServer(t, finishWith({ status: 'done', result: 'cba' }));
    const io = captureIo();
    const code = await runTask(
      { host: '127.0.0.1', port: server.port, type: 'flip', data: 'abc', packet: true },
      io,
    );
    assert.equal(code, 0);
    assert.equal(io.out(), '7\n7: processing\n7: done\ncba\n');
    assert.deepEqual(server.connections[0]?.requests[1]?.params, { id: '7', updates: true });
  });

  it('--packet on a TTY rewrites one status line with progress', async (t) => {
    const server = await taskServer(t, finishWith({ status: 'done', result: { n: 1 } }));
    const io = captureIo(true);
    await runTask({ host: '127.0.0.1', port: server.port, type: 'x', data: '1', packet: true }, io);
    assert.equal(
      io.out(),
      '7\n\r\x1b[2K7: processing 25%\r\x1b[2K7: processing 75%\r\x1b[2K7: done\n{"n":1}\n',
    );
  });

  it('--packet exits 1 when the task fails', async (t) => {
    const server = await taskServer(t, finishWith({ status: 'failed', error: 'boom' }));
    const io = captureIo();
    assert.equal(
      await runTask(
        { host: '127.0.0.1', port: server.port, type: 'flip', data: 'a', packet: true },
        io,
      ),
      1,
    );
    assert.equal(io.err(), 'taskwire: task 7 failed: boom\n');
  });

  it('--packet detaches on interrupt with exit 130', async (t) => {
    const controller = new AbortController();
    const server = await taskServer(t, () => controller.abort());
    const io = captureIo();
    const code = await runTask(
      { host: '127.0.0.1', port: server.port, type: 'flip', data: 'a', packet: true },
      io,
      controller.signal,
    );
    assert.equal(code, 130);
    assert.equal(io.out(), '7\n');
    assert.equal(io.err(), 'detached; the task keeps running. Resume with: taskwire wait 7\n');
  });
});

describe('taskwire status, wait, cancel', () => {
  it('status prints a few readable lines', async (t) => {
    const server = await ScriptedServer.start((req, conn) =>
      conn.respond(
        req.id,
        taskView('3', { status: 'done', result: 'cba', attempts: 1, unitsDone: 1 }),
      ),
    );
    t.after(() => server.close());
    const io = captureIo();
    assert.equal(await runStatus({ host: '127.0.0.1', port: server.port, id: '3' }, io), 0);
    assert.match(
      io.out(),
      /^3: done\n {2}type: flip {2}priority: 0 {2}reps: 1 {2}units done: 1 {2}attempts: 1\n {2}result: cba\n {2}created /,
    );
  });

  it('status --json asks for attempts and prints the view', async (t) => {
    const view = taskView('3', { status: 'canceled' });
    const server = await ScriptedServer.start((req, conn) => conn.respond(req.id, view));
    t.after(() => server.close());
    const io = captureIo();
    assert.equal(
      await runStatus({ host: '127.0.0.1', port: server.port, id: '3', json: true }, io),
      1,
    );
    assert.deepEqual(JSON.parse(io.out()), view);
    assert.deepEqual(server.connections[0]?.requests[0]?.params, { id: '3', attempts: true });
  });

  it('status of an unknown task prints the server message and exits 1', async (t) => {
    const server = await ScriptedServer.start((req, conn) =>
      conn.fail(req.id, ErrorCode.TASK_NOT_FOUND, 'task 99 not found'),
    );
    t.after(() => server.close());
    const io = captureIo();
    assert.equal(await runStatus({ host: '127.0.0.1', port: server.port, id: '99' }, io), 1);
    assert.equal(io.err(), 'taskwire: task 99 not found\n');
  });

  it('wait --json prints the final view', async (t) => {
    const server = await taskServer(t, finishWith({ status: 'done', result: 'ok' }));
    const io = captureIo();
    assert.equal(
      await runWait({ host: '127.0.0.1', port: server.port, id: '7', json: true }, io),
      0,
    );
    assert.equal(JSON.parse(io.out()).result, 'ok');
  });

  it('cancel prints the new status, or the server message', async (t) => {
    let cancelable = true;
    const server = await ScriptedServer.start((req, conn) => {
      if (cancelable) conn.respond(req.id, taskView('4', { status: 'canceled' }));
      else conn.fail(req.id, ErrorCode.TASK_NOT_CANCELABLE, 'task 4 is processing');
    });
    t.after(() => server.close());
    const ok = captureIo();
    assert.equal(await runCancel({ host: '127.0.0.1', port: server.port, id: '4' }, ok), 0);
    assert.equal(ok.out(), '4: canceled\n');
    cancelable = false;
    const refused = captureIo();
    assert.equal(await runCancel({ host: '127.0.0.1', port: server.port, id: '4' }, refused), 1);
    assert.equal(refused.err(), 'taskwire: task 4 is processing\n');
  });
});
