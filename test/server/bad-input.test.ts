/** Bad input gets a clear error, never a crash: each case, then the server still serves. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { RawClient, startServer, type TestServer } from '../support/server.ts';

/** Another client still gets work done: the server survived. */
async function stillServes(t: TestServer): Promise<void> {
  const other = await RawClient.connect(t.port);
  const { result } = await other.call('submit', { type: 'flip', data: 'ok' });
  assert.equal((await other.call('wait', { id: result.id })).result.result, 'ko');
  other.close();
}

describe('bad input', () => {
  it('malformed JSON → parse error, and the connection keeps working', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    c.write('{"jsonrpc":"2.0","id":1,"method":\n');
    const reply = await c.json();
    assert.equal(reply.error.code, ErrorCode.PARSE_ERROR);
    assert.equal(reply.id, null);
    assert.match(reply.error.message, /^parse error/);
    assert.equal((await c.call('ping')).result.pong, true);
    await stillServes(t);
  });

  it('an unknown method → method not found', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const reply = await c.call('explode', {});
    assert.equal(reply.error.code, ErrorCode.METHOD_NOT_FOUND);
    assert.match(reply.error.message, /explode/);
  });

  it('an invalid envelope → invalid request', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    c.write('{"id":5,"method":"ping"}\n');
    assert.equal((await c.json()).error.code, ErrorCode.INVALID_REQUEST);
    c.write('[]\n');
    assert.equal((await c.json()).error.code, ErrorCode.INVALID_REQUEST);
    c.write('{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}\n');
    assert.equal((await c.json()).error.code, ErrorCode.INVALID_REQUEST);
  });

  it('wrong parameter types → invalid params naming the field', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const r1 = await c.call('submit', { type: 42, data: 'x' });
    assert.equal(r1.error.code, ErrorCode.INVALID_PARAMS);
    assert.match(r1.error.message, /type/);
    const r2 = await c.call('status', { id: 7 });
    assert.equal(r2.error.code, ErrorCode.INVALID_PARAMS);
    const r3 = await c.call('submit', { type: 'flip', data: 'x', extra: true });
    assert.equal(r3.error.code, ErrorCode.INVALID_PARAMS);
    const r4 = await c.call('submitMany', { tasks: [] });
    assert.equal(r4.error.code, ErrorCode.INVALID_PARAMS);
  });

  it('an unknown task type → a clear error listing the known ones', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const reply = await c.call('submit', { type: 'teleport', data: 'x' });
    assert.equal(reply.error.code, ErrorCode.UNKNOWN_TASK_TYPE);
    assert.match(reply.error.message, /teleport.*flip/);
  });

  it('empty or non-string data for a built-in type → invalid task data, nothing stored', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    const empty = await c.call('submit', { type: 'flip', data: '' });
    assert.equal(empty.error.code, ErrorCode.INVALID_TASK_DATA);
    assert.match(empty.error.message, /empty/);
    const many = await c.call('submitMany', {
      tasks: [
        { type: 'flip', data: 'ok' },
        { type: 'swap', data: 3 },
      ],
    });
    assert.equal(
      many.error.code,
      ErrorCode.INVALID_TASK_DATA,
      'one bad task rejects the whole submitMany',
    );
    const probe = await c.call('status', { id: '1' });
    assert.equal(
      probe.error.code,
      ErrorCode.TASK_NOT_FOUND,
      'nothing of the rejected batch was stored',
    );
  });

  it('invalid UTF-8 → an error for that line, the connection goes on', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    c.write(
      Buffer.concat([
        Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","x":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n'),
      ]),
    );
    const reply = await c.json();
    assert.equal(reply.error.code, ErrorCode.INVALID_UTF8);
    assert.equal((await c.call('ping')).result.pong, true);
    c.write(Buffer.concat([Buffer.from('1: '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    assert.equal(await c.line(), 'Impossible to handle: invalid UTF-8');
  });

  it('a line over the limit → an error, then the connection closes; others unaffected', async () => {
    await using t = await startServer({ maxLineBytes: 1024 });
    const c = await RawClient.connect(t.port);
    c.write(
      `{"jsonrpc":"2.0","id":1,"method":"submit","params":{"type":"flip","data":"${'x'.repeat(2000)}"}}\n`,
    );
    const reply = await c.json();
    assert.equal(reply.error.code, ErrorCode.LINE_TOO_LONG);
    assert.equal(reply.error.data.limit, 1024);
    await c.closedByServer();
    await stillServes(t);
  });

  it('a peer that disconnects mid-line stores nothing and is logged as such', async () => {
    await using t = await startServer();
    const closed = t.server.events.next('connection:closed');
    const c = await RawClient.connect(t.port);
    c.write('{"jsonrpc":"2.0","id":1,"method":"submit","params":{"type":"flip","da');
    c.socket.end();
    const { midLine } = await closed;
    assert.equal(midLine, true);
    const other = await RawClient.connect(t.port);
    assert.equal((await other.call('status', { id: '1' })).error.code, ErrorCode.TASK_NOT_FOUND);
    other.close();
    await stillServes(t);
  });

  it('status of a malformed id → task not found', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    for (const id of ['abc', '-1', '0', '1e3', '99999999999999999999']) {
      assert.equal((await c.call('status', { id })).error.code, ErrorCode.TASK_NOT_FOUND, id);
    }
  });
});
