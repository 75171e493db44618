import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { backoffDelay } from '../../src/client/connection.ts';
import {
  type Client,
  ClientClosedError,
  type ClientOptions,
  ConnectError,
  ConnectionLostError,
  connect,
  RpcError,
} from '../../src/client/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { TaskView } from '../../src/protocol/tasks.ts';
import {
  freePort,
  type ScriptedConnection,
  type ScriptedRequest,
  ScriptedServer,
  taskView,
} from './scripted-server.ts';

/** A scripted server and a client connected to it, both closed when the test ends. */
async function setup(
  t: TestContext,
  onRequest?: (req: ScriptedRequest, conn: ScriptedConnection) => void,
  opts: ClientOptions = {},
): Promise<{ server: ScriptedServer; client: Client }> {
  const server = await ScriptedServer.start(onRequest);
  const client = await connect({ port: server.port, ...opts });
  t.after(async () => {
    await client.close();
    await server.close();
  });
  return { server, client };
}

describe('client', () => {
  it('matches out-of-order responses by id', async (t) => {
    const { server, client } = await setup(t);
    const calls = [client.status('1'), client.status('2'), client.status('3')];
    const conn = await server.connection(0);
    const requests = await conn.requestCount(3);
    for (const req of [...requests].reverse()) {
      conn.respond(req.id, taskView(String(req.params?.id), { status: 'processing' }));
    }
    const views = await Promise.all(calls);
    assert.deepEqual(
      views.map((v) => v.id),
      ['1', '2', '3'],
    );
  });

  it('coalesces many concurrent calls into few writes on one connection', async (t) => {
    const { server, client } = await setup(t, (req, conn) => {
      if (req.method === 'status') conn.respond(req.id, taskView(String(req.params?.id)));
    });
    const views = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => client.status(String(i + 1))),
    );
    assert.equal(new Set(views.map((v) => v.id)).size, 1000);
    const conn = server.connections[0]!;
    assert.equal(conn.requests.length, 1000);
    assert.equal(new Set(conn.requests.map((r) => r.id)).size, 1000, 'ids are unique');
    assert.deepEqual(conn.requests[0]?.params, { id: '1' });
    assert.ok(
      conn.dataEvents < 50,
      `expected few writes, server saw ${conn.dataEvents} data events`,
    );
  });

  it('sends the submits of one microtask as one submitMany; each caller gets its own id', async (t) => {
    const { server, client } = await setup(t, (req, conn) => {
      const tasks = (req.params?.tasks as unknown[]) ?? [req.params];
      const ids = tasks.map((_, i) => `${req.id}-${i}`);
      conn.respond(req.id, req.method === 'submitMany' ? { ids } : { id: ids[0] });
    });
    const ids = await Promise.all(
      Array.from({ length: 2500 }, (_, i) => client.submit('flip', `s${i}`)),
    );
    const conn = server.connections[0]!;
    assert.deepEqual(
      conn.requests.map((r) => [r.method, (r.params!.tasks as unknown[]).length]),
      [
        ['submitMany', 1000],
        ['submitMany', 1000],
        ['submitMany', 500],
      ],
      'at most 1,000 tasks per request',
    );
    assert.deepEqual(
      (conn.requests[1]!.params!.tasks as unknown[])[0],
      { type: 'flip', data: 's1000' },
      'in call order',
    );
    assert.equal(new Set(ids).size, 2500);
    assert.equal(ids[1001], `${conn.requests[1]!.id}-1`);
    // A lone submit, and one with structured data, go as `submit`.
    await client.submit('flip', 'alone');
    await Promise.all([client.submit('x', { big: true }), client.submit('flip', 'y')]);
    assert.deepEqual(
      conn.requests.slice(3).map((r) => r.method),
      ['submit', 'submit', 'submit'],
    );
  });

  it('a batch the server refuses whole is sent again task by task, so each gets its own answer', async (t) => {
    const { server, client } = await setup(t, (req, conn) => {
      if (req.method === 'submitMany') {
        conn.fail(req.id, ErrorCode.INVALID_TASK_DATA, 'bad one');
      } else if (req.params?.data === '') {
        conn.fail(req.id, ErrorCode.INVALID_TASK_DATA, 'empty data');
      } else {
        conn.respond(req.id, { id: `id-${req.params?.data}` });
      }
    });
    const results = await Promise.allSettled([
      client.submit('flip', 'a'),
      client.submit('flip', ''),
      client.submit('flip', 'c'),
    ]);
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'id-a' });
    assert.equal(results[1]?.status, 'rejected');
    const error = (results[1] as PromiseRejectedResult).reason as RpcError;
    assert.ok(error instanceof RpcError);
    assert.equal(error.message, 'empty data');
    assert.deepEqual(results[2], { status: 'fulfilled', value: 'id-c' });
    assert.deepEqual(
      server.connections[0]!.requests.map((r) => r.method),
      ['submitMany', 'submit', 'submit', 'submit'],
    );
  });

  it('sends submitMany as one request', async (t) => {
    const { server, client } = await setup(t, (req, conn) => {
      const tasks = req.params?.tasks as unknown[];
      conn.respond(req.id, { ids: tasks.map((_, i) => String(i + 10)) });
    });
    const ids = await client.submitMany([
      { type: 'flip', data: 'a' },
      { type: 'swap', data: 'b', reps: 2 },
    ]);
    assert.deepEqual(ids, ['10', '11']);
    assert.equal(server.connections[0]?.requests.length, 1);
    assert.equal(server.connections[0]?.requests[0]?.method, 'submitMany');
  });

  it('rejects with RpcError carrying the code and data', async (t) => {
    const { client } = await setup(t, (req, conn) => {
      conn.fail(req.id, ErrorCode.TASK_NOT_FOUND, 'task 9 not found', { id: '9' });
    });
    const err = await client.status('9').catch((e: unknown) => e);
    assert.ok(err instanceof RpcError);
    assert.equal(err.name, 'RpcError');
    assert.equal(err.code, ErrorCode.TASK_NOT_FOUND);
    assert.equal(err.codeName, 'TASK_NOT_FOUND');
    assert.equal(err.message, 'task 9 not found');
    assert.deepEqual(err.data, { id: '9' });
  });

  it('types call() and omits absent params', async (t) => {
    const { server, client } = await setup(t, (req, conn) => {
      conn.respond(req.id, req.method === 'ping' ? { pong: true, server: 'x' } : { workers: [] });
    });
    assert.deepEqual(await client.call('ping'), { pong: true, server: 'x' });
    assert.deepEqual(await client.workers(), []);
    assert.equal('params' in server.connections[0]!.requests[0]!, false);
  });

  it('sends a notification without an id and expects no answer; sends nothing while disconnected', async (t) => {
    const { server, client } = await setup(
      t,
      (req, conn) => {
        if (req.id !== undefined) conn.respond(req.id, { pong: true, server: 'x' });
      },
      { reconnect: false },
    );
    assert.equal(client.notify('ping'), true);
    await client.ping(); // answered: the notification before it was sent and read
    const [note, call] = await server.connections[0]!.requestCount(2);
    assert.deepEqual(note, { jsonrpc: '2.0', method: 'ping' });
    assert.equal(call!.id, 1, 'the notification took no id');
    const disconnected = client.next('connection:lost');
    server.connections[0]!.drop();
    await disconnected;
    assert.equal(client.notify('ping'), false);
  });

  it('resolves wait with the pushed result and routes task.update to onUpdate', async (t) => {
    const { server, client } = await setup(t);
    const updates: TaskView[] = [];
    const done = client.wait('7', { onUpdate: (task) => updates.push(task) });
    const conn = await server.connection(0);
    const [req] = await conn.requestCount(1);
    assert.deepEqual(req?.params, { id: '7', updates: true });
    const processing = taskView('7', { status: 'processing', progress: 0.5 });
    conn.update(taskView('8', { status: 'processing' })); // another task: not routed
    conn.update(processing);
    conn.update(processing); // a repeat is dropped
    conn.update(taskView('7', { status: 'processing', progress: 0.9 }));
    conn.respond(req!.id, taskView('7', { status: 'done', result: 'cba' }));
    const final = await done;
    assert.equal(final.status, 'done');
    assert.equal(final.result, 'cba');
    assert.deepEqual(
      updates.map((u) => [u.id, u.progress]),
      [
        ['7', 0.5],
        ['7', 0.9],
      ],
    );
  });

  it('reads responses split at every byte', async (t) => {
    const { server, client } = await setup(t);
    const pong = client.ping();
    const conn = await server.connection(0);
    const [req] = await conn.requestCount(1);
    const line = `${JSON.stringify({ jsonrpc: '2.0', id: req!.id, result: { pong: true, server: 'é' } })}\n`;
    for (const byte of Buffer.from(line)) conn.socket.write(Buffer.from([byte]));
    assert.deepEqual(await pong, { pong: true, server: 'é' });
  });

  it('stops a wait on abort and ignores its late response', async (t) => {
    const { server, client } = await setup(t);
    const controller = new AbortController();
    const waiting = client.wait('5', { signal: controller.signal });
    const conn = await server.connection(0);
    const [req] = await conn.requestCount(1);
    controller.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    conn.respond(req!.id, taskView('5', { status: 'done' }));
    const pong = client.ping();
    const [, ping] = await conn.requestCount(2);
    conn.respond(ping!.id, { pong: true, server: 's' });
    assert.deepEqual(await pong, { pong: true, server: 's' });
  });

  it('reconnects: resends a pending wait, rejects a pending submit', async (t) => {
    const { server, client } = await setup(t);
    const events: string[] = [];
    client.on('connection:lost', () => events.push('disconnect'));
    client.on('connection:opened', ({ reconnected }) =>
      events.push(reconnected ? 'reconnect' : 'connect'),
    );
    const waiting = client.wait('3');
    const submitting = client.submit('flip', 'abc');
    const first = await server.connection(0);
    await first.requestCount(2);
    const reconnecting = client.next('connection:retrying');
    first.drop();

    const err = await submitting.catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionLostError);
    assert.match(err.message, /may or may not have been accepted/);
    const { attempt, delayMs } = await reconnecting;
    assert.equal(attempt, 1);
    assert.ok(delayMs >= 80 && delayMs <= 120);

    // Made while disconnected: waits for the new connection.
    const pong = client.ping();
    const second = await server.connection(1);
    const requests = await second.requestCount(2);
    assert.deepEqual(
      requests.map((r) => [r.id, r.method, r.params]),
      [
        [1, 'wait', { id: '3' }],
        [2, 'ping', undefined],
      ],
    );
    second.respond(2, { pong: true, server: 's' });
    second.respond(1, taskView('3', { status: 'failed', error: 'boom' }));
    assert.equal((await waiting).error, 'boom');
    assert.deepEqual(await pong, { pong: true, server: 's' });
    assert.deepEqual(events, ['disconnect', 'reconnect']);
    assert.equal(second.requests.length, 2, 'the submit was not sent again');
  });

  it('without reconnect, rejects pending and later calls with ConnectionLostError', async (t) => {
    const { server, client } = await setup(t, undefined, { reconnect: false });
    const status = client.status('1');
    const conn = await server.connection(0);
    await conn.requestCount(1);
    conn.drop();
    await assert.rejects(status, ConnectionLostError);
    await assert.rejects(client.ping(), ConnectionLostError);
    assert.equal(client.connected, false);
  });

  it('fails to connect with a one-line ConnectError naming the address', async () => {
    const port = await freePort();
    const err = await connect({ port }).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectError);
    assert.equal(err.message, `cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`);
    assert.equal(err.code, 'ECONNREFUSED');
  });

  it('closes twice, rejecting pending calls and later ones', async (t) => {
    const { server, client } = await setup(t);
    const pending = client.wait('1').catch((e: unknown) => e);
    const conn = await server.connection(0);
    await conn.requestCount(1);
    await Promise.all([client.close(), client.close()]);
    const err = await pending;
    assert.ok(err instanceof ClientClosedError);
    assert.equal(err.message, 'client closed before the server answered wait');
    await assert.rejects(client.ping(), ClientClosedError);
    await conn.closed;
  });

  it('closes through Symbol.asyncDispose', async () => {
    const server = await ScriptedServer.start();
    try {
      const client = await connect({ port: server.port });
      await client[Symbol.asyncDispose]();
      await assert.rejects(client.ping(), ClientClosedError);
    } finally {
      await server.close();
    }
  });

  it('stops reconnecting when closed', async (t) => {
    const { server, client } = await setup(t);
    const reconnecting = client.next('connection:retrying');
    (await server.connection(0)).drop();
    await reconnecting;
    await client.close();
    assert.equal(server.connections.length, 1);
  });
});

describe('backoffDelay', () => {
  it('doubles from 100 ms up to 5 s with jitter', () => {
    const cases: [attempt: number, random: number, delayMs: number][] = [
      [1, 0.5, 100],
      [2, 0.5, 200],
      [6, 0.5, 3200],
      [7, 0.5, 5000],
      [50, 1, 5000],
      [1, 0, 80],
      [1, 1, 120],
    ];
    for (const [attempt, random, delayMs] of cases) {
      assert.equal(
        backoffDelay(attempt, () => random),
        delayMs,
        `attempt ${attempt}`,
      );
    }
  });
});
