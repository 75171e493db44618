/**
 * Submits that are safe to retry: the connection drops after the server committed a submit
 * and before its answer reached the client. With a key (given, or made by `idempotent`) the
 * library sends the submit again on the next server and the user gets exactly one task;
 * without one the submit fails with "may or may not have been accepted", as before.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { ConnectionLostError, connect } from '../../src/client/index.ts';
import { generatedKey } from '../../src/client/options.ts';
import { startServer } from '../support/server.ts';

/**
 * A proxy to `port` that forwards everything, except that once a server answer with a
 * `"result":{"id"` (a submit's) passes, it drops that connection instead of forwarding it:
 * the task is committed, the client never hears of it.
 */
async function droppingProxy(port: number) {
  let dropped = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"result":{"id"')) {
        dropped += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    for (const s of [client, upstream]) s.on('error', () => {});
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A client of the proxy first, then of the server itself (where it fails over to). */
function viaProxy(proxyPort: number, serverPort: number, idempotent = false) {
  return connect({
    addresses: [
      { host: '127.0.0.1', port: proxyPort },
      { host: '127.0.0.1', port: serverPort },
    ],
    idempotent,
  });
}

describe('a submit whose answer is lost', () => {
  for (const how of ['with a key', 'with idempotent: true'] as const) {
    it(`${how}, is sent again on the next server and makes exactly one task`, async () => {
      await using t = await startServer({ delayScale: 0 });
      const proxy = await droppingProxy(t.port);
      const client = await viaProxy(proxy.port, t.port, how === 'with idempotent: true');
      try {
        const resent = client.next('connection:opened');
        const opts = how === 'with a key' ? { key: 'order-17' } : {};
        const submitted = client.submitTask('noop', 'pay once', opts);
        await resent;
        const { id, duplicate } = await submitted;
        assert.equal(proxy.dropped(), 1, 'the first answer was lost');
        assert.equal(duplicate, true, 'the resent submit found the committed task');
        const counts = await t.store.counts();
        assert.equal(counts.enqueued + counts.processing + counts.done, 1, 'one task');
        assert.equal((await client.wait(id)).data, 'pay once');
      } finally {
        await client.close();
        await proxy.close();
      }
    });
  }

  it('without a key, fails: the task may or may not have been accepted', async () => {
    await using t = await startServer({ delayScale: 0 });
    const proxy = await droppingProxy(t.port);
    const client = await viaProxy(proxy.port, t.port);
    try {
      const err = await client.submit('noop', 'x').catch((e: unknown) => e);
      assert.ok(err instanceof ConnectionLostError);
      assert.match(err.message, /may or may not have been accepted/);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});

describe('generated keys', () => {
  it('are version 7 UUIDs: unique, and ordered by the time they were made', () => {
    const a = generatedKey(1_700_000_000_000);
    const b = generatedKey(1_700_000_000_001);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(a.slice(0, 13), '018bcfe5-6800');
    assert.ok(a < b);
    assert.notEqual(generatedKey(5), generatedKey(5));
  });
});
