/**
 * Workers given several servers: they run tasks for the first and, when it dies, register
 * with the next one and run its tasks. Each server here has its own SQLite file; that is
 * enough to test the connection failover (in production the servers share PostgreSQL).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { Worker } from '../../src/worker/worker.ts';
import {
  type ServerProcess,
  spawnServer,
  spawnWorker,
  type WorkerProcess,
} from '../support/process.ts';
import { startServer, tempDir } from '../support/server.ts';

const local = (port: number) => ({ host: '127.0.0.1', port });

describe('worker failover', () => {
  it('the worker library re-registers with server B when server A closes', async () => {
    await using a = await startServer({ local: false });
    await using b = await startServer({ local: false });
    const worker = new Worker({ addresses: [local(a.port), local(b.port)], name: 'fo' });
    worker.handle('job', (task) => `done: ${String(task.data)}`);
    const first = worker.next('worker:registered');
    await worker.start();
    assert.equal((await first).address, `127.0.0.1:${a.port}`);
    try {
      await using onA = await connect({ port: a.port, reconnect: false });
      const id = await onA.submit('job', 'a');
      assert.equal((await onA.wait(id)).result, 'done: a');

      const disconnected = worker.next('worker:disconnected');
      const registered = worker.next('worker:registered');
      await a.server.close();
      assert.equal((await disconnected).address, `127.0.0.1:${a.port}`);
      const again = await registered;
      assert.equal(again.address, `127.0.0.1:${b.port}`);
      assert.equal(again.reconnected, true);

      await using onB = await connect({ port: b.port });
      const idB = await onB.submit('job', 'b');
      const view = await onB.wait(idB);
      assert.equal(view.result, 'done: b');
      const [listed] = await onB.workers();
      assert.equal(listed?.name, 'fo');
    } finally {
      await worker.close();
    }
  });

  it('a `taskwire worker -H A,B` process moves to B when A is killed with SIGKILL', {
    timeout: 60_000,
  }, async (t) => {
    const { dir, remove } = tempDir();
    const procs: (ServerProcess | WorkerProcess)[] = [];
    t.after(async () => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      remove();
    });
    const serverArgs = (name: string) => ['--no-local', '--db', join(dir, `${name}.db`)];
    const a = await spawnServer(serverArgs('a'));
    procs.push(a);
    const b = await spawnServer(serverArgs('b'));
    procs.push(b);
    const worker = await spawnWorker(a.port, 'fo', [
      '-H',
      `127.0.0.1:${a.port},127.0.0.1:${b.port}`,
      '--types',
      'flip',
      '--delay-scale',
      '0.001',
    ]);
    procs.push(worker);
    assert.match(
      worker.stderr(),
      new RegExp(`connected as \\S+: flip × 1 \\(server 127\\.0\\.0\\.1:${a.port}\\)`),
    );

    const onA = await connect({ port: a.port, reconnect: false });
    const id = await onA.submit('flip', 'on a');
    assert.equal((await onA.wait(id)).result, 'a no');
    const attempts = (await onA.status(id, { attempts: true })).attemptLog ?? [];
    assert.match(attempts[0]?.worker ?? '', /^fo@/);
    await onA.close();

    const reconnected = new Promise<void>((resolve) => {
      const check = () => {
        if (worker.stderr().includes('reconnected as')) {
          worker.child.stderr!.off('data', check);
          resolve();
        }
      };
      worker.child.stderr!.on('data', check);
      check();
    });
    a.child.kill('SIGKILL');
    assert.equal((await a.exited).signal, 'SIGKILL');
    await reconnected;
    assert.match(
      worker.stderr(),
      new RegExp(`reconnected as \\S+: flip × 1 \\(server 127\\.0\\.0\\.1:${b.port}\\)`),
    );

    const onB = await connect({ port: b.port, reconnect: false });
    const idB = await onB.submit('flip', 'on b');
    assert.equal((await onB.wait(idB)).result, 'b no');
    const attemptsB = (await onB.status(idB, { attempts: true })).attemptLog ?? [];
    assert.match(attemptsB[0]?.worker ?? '', /^fo@/);
    await onB.close();

    worker.child.kill('SIGTERM');
    assert.equal((await worker.exited).code, 0);
    assert.match(worker.stderr(), /stopped: 2 done/);
  });
});
