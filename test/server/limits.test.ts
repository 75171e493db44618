/**
 * The limits no connection can get past (docs/security.md, "Limits"), over real sockets: the
 * connection cap, unfinished lines (slowloris, a byte at a time), a peer that does not read
 * its answers (the byte cap and the write deadline), and request lines too complex to parse.
 * After each bad connection another client still gets its task done.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { capturingLogger } from '../support/logs.ts';
import { RawClient, startServer } from '../support/server.ts';

async function stillServes(port: number): Promise<void> {
  const client = await connect({ port, reconnect: false });
  try {
    assert.equal((await client.run('flip', 'abc')).result, 'cba');
  } finally {
    await client.close();
  }
}

/** A raw socket that reads nothing (its answers back up), and the JSON lines to send on it. */
async function deafSocket(port: number) {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.pause();
  return socket;
}

function statusLines(id: string, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(`{"jsonrpc":"2.0","id":${i},"method":"status","params":{"id":"${id}"}}\n`);
  }
  return lines.join('');
}

describe('connection limits', () => {
  it('tells the connection past --max-connections so and closes it; a freed slot serves again', async () => {
    const { logger, lines } = capturingLogger('info');
    await using s = await startServer({ maxConnections: 2, logger });
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    assert.ok((await a.call('ping')).result);
    assert.ok((await b.call('ping')).result);
    const c = await RawClient.connect(s.port);
    const refusal = await c.json();
    assert.equal(refusal.error.code, ErrorCode.TOO_MANY_CONNECTIONS);
    assert.equal(refusal.id, null);
    assert.deepEqual(refusal.error.data, { limit: 2 });
    await c.closedByServer();
    assert.ok(lines.some((l) => l.msg === 'too many connections; refused' && l.limit === 2));
    // The client library says so too: the call was refused unread, not "lost".
    const full = await connect({ port: s.port, reconnect: false });
    await assert.rejects(full.ping(), { code: ErrorCode.TOO_MANY_CONNECTIONS });
    await full.close();
    assert.ok((await a.call('ping')).result, 'the connections within the cap still work');
    b.close();
    await s.server.events.next('connection:closed');
    await stillServes(s.port);
    a.close();
  });

  it('closes a connection that holds a half-sent line past --line-timeout (slowloris)', async () => {
    const { logger, lines } = capturingLogger('info');
    await using s = await startServer({ lineTimeoutMs: 300, logger });
    const idle = await RawClient.connect(s.port); // whole lines only: never timed out
    assert.ok((await idle.call('ping')).result);
    const slow = await RawClient.connect(s.port);
    slow.write('{"jsonrpc":"2.0","id":1,"method":"submit","params":{"type":"flip","data":"');
    const answer = await slow.json();
    assert.equal(answer.error.code, ErrorCode.LINE_TIMEOUT);
    await slow.closedByServer();
    assert.ok(lines.some((l) => l.msg === 'line not finished in time; closing'));
    assert.ok((await idle.call('ping')).result, 'a connection idle between lines stays');
    idle.close();
    await stillServes(s.port);
  });

  it('closes a sender of a byte at a time whose line never ends in time', async () => {
    await using s = await startServer({ lineTimeoutMs: 300 });
    const drip = await RawClient.connect(s.port);
    const line = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(1000)}"}}\n`;
    let i = 0;
    // Each byte restarts nothing: the line's age counts from its first byte.
    const timer = setInterval(() => drip.write(line[i++ % line.length]!), 20);
    try {
      const answer = await drip.json();
      assert.equal(answer.error.code, ErrorCode.LINE_TIMEOUT);
      await drip.closedByServer();
    } finally {
      clearInterval(timer);
    }
    await stillServes(s.port);
  });
});

describe('slow consumers', () => {
  it('closes a peer whose unread answers pass --max-pending-bytes, holding no more than that', async () => {
    const { logger, lines } = capturingLogger('info');
    const cap = 1024 * 1024;
    await using s = await startServer({
      local: false,
      types: ['noop'],
      maxPendingBytes: cap,
      logger,
    });
    const client = await connect({ port: s.port, reconnect: false });
    const id = await client.submit('noop', 'x'.repeat(20_000));
    await client.close();
    const deaf = await deafSocket(s.port);
    // 5,000 answers of 20 kB: 100 MB, a hundred times the cap.
    const closed = s.server.events.next('connection:closed');
    deaf.write(statusLines(id, 5_000));
    await closed;
    const refusal = lines.find((l) => String(l.msg).startsWith('slow consumer'));
    assert.ok(refusal, 'logged as a slow consumer');
    assert.equal(refusal.limit, cap);
    // What it held when it was closed: the cap and at most the answer that passed it.
    assert.ok((refusal.pendingBytes as number) <= cap + 25_000, `held ${refusal.pendingBytes}`);
    deaf.destroy();
    const other = await connect({ port: s.port, reconnect: false });
    assert.equal((await other.status(id)).id, id);
    await other.close();
  });

  it('closes a connection whose one batch line would answer past --max-pending-bytes', async () => {
    const { logger, lines } = capturingLogger('info');
    const cap = 1024 * 1024;
    await using s = await startServer({ maxPendingBytes: cap, logger });
    const client = await connect({ port: s.port, reconnect: false });
    const id = await client.submit('flip', 'x'.repeat(20_000));
    const c = await RawClient.connect(s.port);
    // One line, 2,000 requests, 40 MB of answer: refused before it is built whole.
    const batch = Array.from({ length: 2000 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'status',
      params: { id },
    }));
    c.write(`${JSON.stringify(batch)}\n`);
    await c.closedByServer();
    const refusal = lines.find((l) =>
      String(l.msg).startsWith('slow consumer: the answer to a batch'),
    );
    assert.ok(refusal, 'logged as a slow consumer');
    assert.equal((await client.run('flip', 'abc')).result, 'cba');
    await client.close();
  });

  it('closes a peer that takes none of its answers for --write-deadline', async () => {
    const { logger, lines } = capturingLogger('info');
    await using s = await startServer({ writeDeadlineMs: 300, logger });
    const client = await connect({ port: s.port, reconnect: false });
    const id = await client.submit('flip', 'x'.repeat(20_000));
    const deaf = await deafSocket(s.port);
    const closed = s.server.events.next('connection:closed');
    deaf.write(statusLines(id, 400)); // 8 MB: more than the socket buffers take
    await closed;
    assert.ok(lines.some((l) => l.msg === 'slow consumer: no answer taken for 300 ms; closing'));
    deaf.destroy();
    assert.equal((await client.run('flip', 'abc')).result, 'cba');
    await client.close();
  });
});

describe('request complexity', () => {
  it('refuses a line nested past --max-depth or with more than --max-keys keys, and keeps the connection', async () => {
    const { logger, lines } = capturingLogger('info');
    await using s = await startServer({ maxDepth: 16, maxKeys: 1000, logger });
    const c = await RawClient.connect(s.port);
    const deep = `${'['.repeat(20)}1${']'.repeat(20)}`;
    c.write(`{"jsonrpc":"2.0","id":7,"method":"submit","params":{"type":"flip","data":${deep}}}\n`);
    const a = await c.json();
    assert.equal(a.id, 7);
    assert.equal(a.error.code, ErrorCode.PAYLOAD_TOO_COMPLEX);
    assert.deepEqual(a.error.data, { limit: 'depth', max: 16 });
    const keys = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
    const b = await c.call('submit', { type: 'flip', data: 'x', extra: keys });
    assert.equal(b.error.code, ErrorCode.PAYLOAD_TOO_COMPLEX);
    assert.deepEqual(b.error.data, { limit: 'keys', max: 1000 });
    assert.ok(lines.some((l) => l.msg === 'request too complex; refused' && l.limit === 'keys'));
    // Many keys that repeat a few names are cheap to parse, and pass.
    const many = Array.from({ length: 3000 }, (_, i) => ({ type: 'flip', data: `t${i}` }));
    const bulk = await c.call('submitMany', { tasks: many });
    assert.equal(bulk.result?.ids?.length, 3000, JSON.stringify(bulk).slice(0, 200));
    // Depth inside strings does not count; the connection goes on.
    const ok = await c.call('submit', { type: 'flip', data: '[[[[[[[[[[[[[[[[[[[[[[[[' });
    assert.ok(ok.result?.id, JSON.stringify(ok));
    c.close();
    await stillServes(s.port);
  });

  it('a client library call over the limit rejects with PAYLOAD_TOO_COMPLEX', async () => {
    await using s = await startServer({ maxDepth: 8 });
    const client = await connect({ port: s.port, reconnect: false });
    try {
      let deep: unknown = 'x';
      for (let i = 0; i < 10; i++) deep = [deep];
      await assert.rejects(client.submit('flip', deep as never), {
        code: ErrorCode.PAYLOAD_TOO_COMPLEX,
      });
      assert.equal((await client.run('flip', 'abc')).result, 'cba');
    } finally {
      await client.close();
    }
  });

  it('data the store cannot take fails its own request; honest submits in the same batch commit', async () => {
    // The depth limit raised so far that the store's JSON.stringify breaks on the data.
    await using s = await startServer({ maxDepth: 100_000, local: false, types: ['noop'] });
    const c = await RawClient.connect(s.port);
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const honest = (id: number) =>
      `{"jsonrpc":"2.0","id":${id},"method":"submit","params":{"type":"noop","data":${id}}}`;
    // One JSON-RPC batch: its requests are handled in one turn, so they share one commit.
    const poison = `{"jsonrpc":"2.0","id":2,"method":"submit","params":{"type":"noop","data":${deep}}}`;
    c.write(`[${honest(1)},${poison},${honest(3)}]\n`);
    const answers = (await c.json()) as { id: number; result?: { id: string }; error?: unknown }[];
    const byId = new Map(answers.map((a) => [a.id, a]));
    assert.ok(byId.get(1)?.result?.id, 'the first honest submit committed');
    assert.ok(byId.get(3)?.result?.id, 'the second honest submit committed');
    assert.ok(byId.get(2)?.error, 'the poison one got its own error');
    for (const id of [byId.get(1)!.result!.id, byId.get(3)!.result!.id]) {
      assert.equal((await c.call('status', { id })).result.status, 'enqueued');
    }
    c.close();
  });
});
