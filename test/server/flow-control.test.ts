/**
 * Flow control: a connection whose peer does not read its answers, or that has too many
 * requests in flight, is no longer read (its requests wait in TCP, not in the server's
 * memory) until it catches up; nothing it sent is lost or reordered.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/index.ts';
import { frameMarker, MarkerFramer } from '../../src/protocol/framing/marker.ts';
import { startServer } from '../support/server.ts';

describe('flow control', () => {
  it('stops reading a client that does not read its answers, and serves it all once it does', async () => {
    await using s = await startServer({ local: false, types: ['noop'] });
    const client = await connect({ port: s.port, reconnect: false });
    const id = await client.submit('noop', 'x'.repeat(20_000));
    await client.close();
    const socket = netConnect(s.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.pause(); // reads nothing: the server's answers back up
    // 5,000 small requests whose answers are 20 kB each: 100 MB of answers, more than the
    // kernel's socket buffers can hold whatever their size.
    const count = 5_000;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      lines.push(`{"jsonrpc":"2.0","id":${i},"method":"status","params":{"id":"${id}"}}\n`);
    }
    const paused = s.server.events.next('connection:paused');
    socket.write(lines.join(''));
    const { reason } = await paused;
    assert.equal(reason, 'unread-answers');

    const resumed = s.server.events.next('connection:resumed');
    let buffer = '';
    let next = 0;
    const all = new Promise<void>((resolve, reject) => {
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const answer = JSON.parse(buffer.slice(0, nl)) as { id: number; result?: { id: string } };
          buffer = buffer.slice(nl + 1);
          if (answer.id !== next || answer.result?.id !== id) {
            reject(new Error(`answer ${next}: ${JSON.stringify(answer).slice(0, 200)}`));
            return;
          }
          if (++next === count) resolve();
          nl = buffer.indexOf('\n');
        }
      });
      socket.resume();
    });
    await resumed;
    await all;
    assert.equal(next, count);
    socket.destroy();
  });

  it('stops reading a connection at its cap of requests in flight, and reads again at half', async () => {
    await using s = await startServer({ local: false, maxInFlight: 4, types: ['noop'] });
    const a = await connect({ port: s.port, reconnect: false });
    const b = await connect({ port: s.port, reconnect: false });
    try {
      // No worker runs noop here: the tasks stay enqueued and a's waits stay in flight.
      const ids = await Promise.all([1, 2, 3, 4].map((i) => b.submit('noop', i)));
      const paused = s.server.events.next('connection:paused');
      const waits = ids.map((id) => a.wait(id));
      const { reason } = await paused;
      assert.equal(reason, 'requests-in-flight');

      let pinged = false;
      const ping = a.ping().then(() => {
        pinged = true;
      });
      // One wait answered: 3 in flight, above half the cap; a is still not read.
      await b.cancel(ids[0]!);
      assert.equal((await waits[0])!.status, 'canceled');
      await b.ping(); // a round trip later, a's ping is still unanswered
      assert.equal(pinged, false, 'the ping was read above half the cap');

      const resumed = s.server.events.next('connection:resumed');
      await b.cancel(ids[1]!);
      await resumed;
      await ping;
      assert.equal((await waits[1])!.status, 'canceled');
      await Promise.all(ids.slice(2).map((id) => b.cancel(id)));
      for (const w of waits.slice(2)) assert.equal((await w).status, 'canceled');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the legacy tally port stops reading a client that floods it, and answers every message', async () => {
    await using s = await startServer({ local: false, tally: { port: 0, keys: 5, reps: 1 } });
    const socket = netConnect(s.server.tallyAddress!.port, '127.0.0.1');
    await once(socket, 'connect');
    const count = 10_000;
    const answers: string[] = [];
    let allAnswered!: () => void;
    const all = new Promise<void>((resolve) => {
      allAnswered = resolve;
    });
    const framer = new MarkerFramer({
      maxBodyBytes: 64,
      onMessage: (body) => {
        if (answers.push(body) === count) allAnswered();
      },
      onError: (reason) => assert.fail(reason),
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    const paused = s.server.events.next('connection:paused');
    const resumed = s.server.events.next('connection:resumed');
    // A seed-003 worker sends one message and waits; this one sends 10,000 `{}` at once.
    socket.write(Buffer.concat(Array.from({ length: count }, () => frameMarker('{}'))));
    const { reason } = await paused;
    assert.equal(reason, 'requests-in-flight');
    await resumed;
    await all;
    // The first `{}` leased a key; each later one, holding it, is answered with the same key.
    assert.equal(new Set(answers).size, 1);
    assert.ok(Number(answers[0]) >= 0, `answered ${answers[0]}`);
    socket.destroy();
  });
});
