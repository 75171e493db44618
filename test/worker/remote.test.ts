/** Remote workers through the worker library: real sockets, a server without a built-in executor. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { Worker } from '../../src/worker/worker.ts';
import { startServer, tempDir } from '../support/server.ts';

/**
 * A TCP relay to `port` that counts the lines going each way on each connection and tells
 * `onLine` of each one (direction, text).
 */
async function lineRelay(
  port: number,
  onLine: (from: 'client' | 'server', line: string) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    for (const [from, src, dst] of [
      ['client', inbound, outbound],
      ['server', outbound, inbound],
    ] as const) {
      sockets.add(src);
      let pending = '';
      src.on('data', (chunk: Buffer) => {
        dst.write(chunk);
        pending += chunk.toString('utf8');
        for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
          onLine(from, pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      });
      src.on('close', () => dst.destroy());
      src.on('error', () => undefined);
    }
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    port: (relay.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

describe('remote workers', () => {
  it('refuses a type nothing runs; --types queues it before its worker comes, who runs it', async () => {
    {
      await using t = await startServer({ local: false });
      const client = await connect({ port: t.port });
      await assert.rejects(client.submit('flip', 'x'), /unknown task type "flip": nothing runs it/);
      await client.close();
    }
    await using t = await startServer({ local: false, types: ['flip'] });
    const client = await connect({ port: t.port });
    const id = await client.submit('flip', 'queued');
    await assert.rejects(client.submit('resize', {}), /unknown task type/);
    assert.equal((await client.status(id)).status, 'enqueued');
    const worker = new Worker({ port: t.port });
    worker.handle('flip', (task) => [...String(task.data)].reverse().join(''));
    await worker.start();
    assert.equal((await client.wait(id)).result, 'deueuq');
    await worker.close();
    await client.close();
  });

  it('a type a worker declared stays accepted after a restart, before the worker is back', async () => {
    const tmp = tempDir();
    const db = join(tmp.dir, 'tasks.db');
    {
      await using t = await startServer({ local: false, db });
      const worker = new Worker({ port: t.port }).handle('resize', () => null);
      await worker.start();
      await worker.close();
    }
    await using t = await startServer({ local: false, db });
    const client = await connect({ port: t.port });
    const id = await client.submit('resize', { w: 1 });
    assert.equal((await client.status(id)).status, 'enqueued');
    await client.close();
    tmp.remove();
  });

  it('autorun: false registers without taking work until run()', async () => {
    await using t = await startServer({ local: false });
    const worker = new Worker({ port: t.port, autorun: false }).handle(
      'later',
      (task) => task.data,
    );
    await worker.start();
    const client = await connect({ port: t.port });
    // Registered: its type is accepted, and it is listed, but nothing is pushed to it.
    const id = await client.submit('later', 'x');
    const listed = await client.workers();
    assert.deepEqual(
      listed.map((w) => [w.types, w.inFlight]),
      [[['later'], 0]],
    );
    assert.equal((await client.status(id)).status, 'enqueued');
    assert.equal(worker.inFlight, 0);
    await worker.run();
    assert.equal((await client.wait(id)).result, 'x');
    await worker.close();
    await client.close();
  });

  it('tells its listeners of each task it starts and finishes, with the id and the token', async () => {
    await using t = await startServer({ local: false });
    const client = await connect({ port: t.port });
    const worker = new Worker({ port: t.port });
    worker.handle('flip', (task) => [...String(task.data)].reverse().join(''));
    const started: { id: string; type: string; token: string }[] = [];
    worker.on('task:started', (e) => started.push(e));
    const finished = worker.next('task:finished');
    await worker.start();
    const id = await client.submit('flip', 'ab');
    const end = await finished;
    assert.deepEqual(
      started.map((e) => [e.id, e.type]),
      [[id, 'flip']],
    );
    assert.deepEqual(end, { id, token: started[0]!.token, accepted: true });
    assert.equal((await client.wait(id)).result, 'ba');
    await worker.close();
    await client.close();
  });

  it('runs a user-defined type pushed by the server, with progress seen by the waiting client', async () => {
    await using t = await startServer({ local: false });
    const worker = new Worker({ port: t.port, name: 'resizer', concurrency: 2 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    worker.handle('resize', async (task, ctx) => {
      ctx.progress(0.5);
      await gate;
      return { width: (task.data as { w: number }).w / 2 };
    });
    await worker.start();
    const client = await connect({ port: t.port });
    const id = await client.submit('resize', { w: 640 });
    const progress: number[] = [];
    const done = client.wait(id, {
      onUpdate: (view) => {
        if (view.progress !== undefined) {
          progress.push(view.progress);
          release();
        }
      },
    });
    const view = await done;
    assert.deepEqual(view.result, { width: 320 });
    assert.ok(progress.includes(0.5));
    const [listed] = await client.workers();
    assert.equal(listed?.name, 'resizer');
    assert.deepEqual(listed?.types, ['resize']);
    assert.equal(listed?.done, 1);
    await client.close();
    await worker.close();
  });

  it('retries a throwing handler with backoff, then marks the task failed with the last error', async () => {
    await using t = await startServer({ local: false, maxAttempts: 3, retryBaseMs: 5 });
    const worker = new Worker({ port: t.port, name: 'flaky' });
    let calls = 0;
    worker.handle('boom', () => {
      calls += 1;
      throw new Error(`boom #${calls}`);
    });
    await worker.start();
    const client = await connect({ port: t.port });
    const id = await client.submit('boom', null);
    const view = await client.wait(id);
    assert.equal(view.status, 'failed');
    assert.equal(view.error, 'boom #3');
    assert.equal(calls, 3);
    const status = await client.status(id, { attempts: true });
    assert.deepEqual(
      status.attemptLog?.map((a) => [a.n, a.state, a.error]),
      [
        [1, 'failed', 'boom #1'],
        [2, 'failed', 'boom #2'],
        [3, 'failed', 'boom #3'],
      ],
    );
    assert.match(status.attemptLog![0]!.worker, /^flaky@/);
    await client.close();
    await worker.close();
  });

  it('gives a disconnected worker’s lease to another worker at once', async () => {
    await using t = await startServer({ local: false });
    const quitter = new Worker({ port: t.port, name: 'quitter' });
    const started = new Promise<void>((resolve) => {
      quitter.handle('job', (_task, ctx) => {
        resolve();
        return new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        );
      });
    });
    await quitter.start();
    const client = await connect({ port: t.port });
    const id = await client.submit('job', 'x');
    await started;
    const steady = new Worker({ port: t.port, name: 'steady' });
    steady.handle('job', (task) => `done by steady: ${String(task.data)}`);
    await steady.start();
    await quitter.close(0);
    const view = await client.wait(id);
    assert.equal(view.result, 'done by steady: x');
    const status = await client.status(id, { attempts: true });
    assert.deepEqual(
      status.attemptLog?.map((a) => a.state),
      ['released', 'done'],
    );
    await client.close();
    await steady.close();
  });

  it('never hands a worker more tasks than its declared concurrency', async () => {
    await using t = await startServer({ local: false });
    const worker = new Worker({ port: t.port, concurrency: 3 });
    let running = 0;
    let peak = 0;
    let remaining = 30;
    // Each task waits until the worker holds as many as it may (3, or all that are left): a
    // fourth one handed out meanwhile would be seen running beside them.
    let release = () => {};
    let gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    worker.handle('slow', async () => {
      const wave = gate;
      running += 1;
      peak = Math.max(peak, running);
      if (running >= Math.min(3, remaining)) {
        const open = release;
        gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        open();
      }
      await wave;
      running -= 1;
      remaining -= 1;
      return null;
    });
    await worker.start();
    const client = await connect({ port: t.port });
    const ids = await client.submitMany(
      Array.from({ length: 30 }, () => ({ type: 'slow', data: null })),
    );
    await Promise.all(ids.map((id) => client.wait(id)));
    assert.equal(peak, 3);
    await client.close();
    await worker.close();
  });

  it('an idle worker beats with ping notifications, which the server does not answer, and stays registered', async () => {
    // A 300 ms lease: a beat every 100 ms, and a worker silent for 300 ms is dropped.
    await using t = await startServer({ local: false, leaseMs: 300 });
    const beats: unknown[] = [];
    let fromServer = 0;
    let fifthBeat!: () => void;
    const fiveBeats = new Promise<void>((resolve) => {
      fifthBeat = resolve;
    });
    const relay = await lineRelay(t.port, (from, line) => {
      if (from === 'server') {
        fromServer += 1;
        return;
      }
      const msg = JSON.parse(line) as { method?: string };
      if (msg.method !== 'ping') return;
      beats.push(msg);
      if (beats.length === 5) fifthBeat();
    });
    const worker = new Worker({ port: relay.port, name: 'idle' });
    worker.handle('resize', () => null);
    const left: string[] = [];
    t.server.events.on('worker:left', ({ name }) => left.push(name));
    const client = await connect({ port: t.port });
    try {
      await worker.start();
      await fiveBeats; // five beats: 500 ms, past the 300 ms the watchdog allows a silent worker
      for (const beat of beats) assert.equal(Object.hasOwn(beat as object, 'id'), false);
      assert.equal(fromServer, 1, 'the server answered only worker.hello');
      assert.deepEqual(left, []);
      assert.deepEqual(
        (await client.workers()).map((w) => w.name),
        ['idle'],
      );
    } finally {
      await client.close();
      await worker.close();
      await relay.close();
    }
  });
});
