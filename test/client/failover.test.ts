/** Address lists: connecting to the first server that answers, failing over when one drops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressError, type ClientEvents, ConnectError, connect } from '../../src/client/index.ts';
import { startServer } from '../support/server.ts';
import { freePort, ScriptedServer } from './scripted-server.ts';

const local = (port: number) => ({ host: '127.0.0.1', port });

describe('client failover', () => {
  it('skips a dead address and connects to the live server after it', async () => {
    await using live = await startServer();
    const dead = await freePort();
    await using client = await connect({ addresses: [local(dead), local(live.port)] });
    assert.equal(client.address, `127.0.0.1:${live.port}`);
    assert.deepEqual(client.addresses, [`127.0.0.1:${dead}`, `127.0.0.1:${live.port}`]);
    assert.equal((await client.ping()).pong, true);
  });

  it('takes the string form; an item without a port gets `port`', async () => {
    await using live = await startServer();
    const dead = await freePort();
    await using client = await connect({
      addresses: `127.0.0.1:${dead}, 127.0.0.1`,
      port: live.port,
    });
    assert.equal(client.address, `127.0.0.1:${live.port}`);
    const id = await client.submit('flip', 'abc');
    assert.equal((await client.wait(id)).result, 'cba');
  });

  it('rejects a bad list, and host together with addresses', async () => {
    await assert.rejects(connect({ addresses: 'a,,b' }), AddressError);
    await assert.rejects(connect({ addresses: [] }), AddressError);
    await assert.rejects(connect({ addresses: [{ host: 'a', port: 0 }] }), AddressError);
    await assert.rejects(connect({ host: 'a', addresses: 'b' }), TypeError);
  });

  it('fails with one ConnectError naming every address when none answers', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const err = await connect({ addresses: [local(p1), local(p2)] }).catch((e: unknown) => e);
    assert.ok(err instanceof ConnectError);
    assert.equal(
      err.message,
      `cannot connect to any of 127.0.0.1:${p1} (ECONNREFUSED), 127.0.0.1:${p2} (ECONNREFUSED)`,
    );
    assert.deepEqual(
      err.failures.map((f) => [f.port, f.code]),
      [
        [p1, 'ECONNREFUSED'],
        [p2, 'ECONNREFUSED'],
      ],
    );
  });

  it("order 'random' starts at a random address, then goes on in list order", async (t) => {
    await using a = await startServer();
    await using b = await startServer();
    t.mock.method(Math, 'random', () => 0.99);
    const addresses = [local(a.port), local(b.port)];
    await using last = await connect({ addresses, order: 'random' });
    assert.equal(last.address, `127.0.0.1:${b.port}`);
    await using first = await connect({ addresses });
    assert.equal(first.address, `127.0.0.1:${a.port}`, "'ordered' is the default");
  });

  it('reconnects to server B when server A closes; calls work there; events name B', async () => {
    await using a = await startServer();
    await using b = await startServer();
    await using client = await connect({ addresses: [local(a.port), local(b.port)] });
    assert.equal(client.address, `127.0.0.1:${a.port}`);
    const before = await client.submit('flip', 'on a');
    assert.equal((await client.wait(before)).result, 'a no');

    const disconnected = client.next('connection:lost');
    const reconnecting = client.next('connection:retrying');
    const connected = client.next('connection:opened');
    await a.server.close();

    assert.equal((await disconnected).address, `127.0.0.1:${a.port}`);
    const next = await reconnecting;
    assert.equal(next.address, `127.0.0.1:${b.port}`, 'the next address is tried first');
    assert.equal(next.attempt, 1);
    assert.equal(next.round, 1);
    assert.deepEqual(await connected, { address: `127.0.0.1:${b.port}`, reconnected: true });
    assert.equal(client.address, `127.0.0.1:${b.port}`);

    assert.equal((await client.ping()).pong, true);
    const id = await client.submit('flip', 'on b');
    assert.equal((await client.wait(id)).result, 'b no');
  });

  it('cycles through the list: a dead next address is skipped, the one that dropped is retried', async (t) => {
    const a = await ScriptedServer.start();
    const dead = await freePort();
    const client = await connect({ addresses: [local(a.port), local(dead)] });
    t.after(async () => {
      await client.close();
      await a.close();
    });
    const events = record(client);
    const reconnected = client.next('connection:opened');
    (await a.connection(0)).drop();
    await reconnected;
    await a.connection(1);
    assert.deepEqual(events.slice(0, 1), [['disconnect', `127.0.0.1:${a.port}`]]);
    assert.deepEqual(
      events.slice(1).map(([name, address, attempt, round]) => [name, address, attempt, round]),
      [
        ['reconnecting', `127.0.0.1:${dead}`, 1, 1],
        ['reconnecting', `127.0.0.1:${a.port}`, 2, 1],
        ['connect', `127.0.0.1:${a.port}`, undefined, undefined],
      ],
    );
  });

  it('waits the backoff before each round over the list, not between its addresses', async (t) => {
    const a = await ScriptedServer.start();
    const aPort = a.port;
    const dead = await freePort();
    const client = await connect({ addresses: [local(aPort), local(dead)] });
    t.after(() => client.close());
    const attempts: ClientEvents['connection:retrying'][] = [];
    const fourTries = new Promise<void>((resolve) => {
      client.on('connection:retrying', (e) => {
        attempts.push(e);
        if (attempts.length === 4) resolve();
      });
    });
    await a.close(); // stops listening and drops the connection: nothing answers now
    await fourTries;
    await client.close();
    assert.deepEqual(
      attempts.map((e) => [e.attempt, e.round, e.address]),
      [
        [1, 1, `127.0.0.1:${dead}`],
        [2, 1, `127.0.0.1:${aPort}`],
        [3, 2, `127.0.0.1:${dead}`],
        [4, 2, `127.0.0.1:${aPort}`],
      ],
    );
    const [r1, r1b, r2, r2b] = attempts.map((e) => e.delayMs);
    assert.ok(r1! >= 80 && r1! <= 120, `round 1 backoff ${r1}`);
    assert.ok(r2! >= 160 && r2! <= 240, `round 2 backoff ${r2}`);
    assert.deepEqual([r1b, r2b], [0, 0]);
  });
});

/** The client's connection events as [name, address, attempt?, round?], in order. */
function record(client: Awaited<ReturnType<typeof connect>>): unknown[][] {
  const events: unknown[][] = [];
  client.on('connection:lost', (e) => events.push(['disconnect', e.address]));
  client.on('connection:retrying', (e) =>
    events.push(['reconnecting', e.address, e.attempt, e.round]),
  );
  client.on('connection:opened', (e) => events.push(['connect', e.address]));
  return events;
}
