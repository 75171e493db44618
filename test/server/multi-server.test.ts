/**
 * Several taskwire servers on one PostgreSQL database are one queue: real server and worker
 * processes, real sockets, a real database (fresh per test file).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Client, connect } from '../../src/client/client.ts';
import {
  createTestDatabase,
  pgAvailable,
  type TestDatabase,
  withAdmin,
} from '../support/postgres.ts';
import {
  type ServerProcess,
  spawnServer,
  spawnWorker,
  type WorkerProcess,
} from '../support/process.ts';

const available = await pgAvailable();

/** Per task: its status and how many attempts ended `done`. */
async function doneCounts(url: string): Promise<{ status: string; done: number }[]> {
  return withAdmin(url, async (c) => {
    const { rows } = await c.query(
      // A single-unit task's successful attempt stays on its row (migration 008).
      `SELECT t.status,
              (count(l.token) FILTER (WHERE l.state = 'done')
               + CASE WHEN t.status = 'done' AND t.lease_token IS NOT NULL THEN 1 ELSE 0 END
              )::int AS done
       FROM tasks t LEFT JOIN leases l ON l.task_id = t.id GROUP BY t.id ORDER BY t.id`,
    );
    return rows as { status: string; done: number }[];
  });
}

async function leaseStates(url: string): Promise<Record<string, number>> {
  return withAdmin(url, async (c) => {
    const { rows } = await c.query('SELECT state, count(*)::int AS n FROM leases GROUP BY state');
    return Object.fromEntries(rows.map((r: { state: string; n: number }) => [r.state, r.n]));
  });
}

const address = (s: ServerProcess) => `127.0.0.1:${s.port}`;

describe('several servers on one PostgreSQL database', {
  skip: 'skip' in available && available.skip,
}, () => {
  let db: TestDatabase;
  const servers: ServerProcess[] = [];
  const workers: WorkerProcess[] = [];
  const clients: Client[] = [];

  before(async () => {
    db = await createTestDatabase();
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const p of [...workers.splice(0), ...servers.splice(0)]) p.child.kill('SIGKILL');
    await db?.drop();
  });

  async function startServers(url: string, n: number, args: string[] = []) {
    const started = await Promise.all(
      Array.from({ length: n }, () => spawnServer(['--store', url, '--no-local', ...args])),
    );
    servers.push(...started);
    return started;
  }

  async function client(server: ServerProcess): Promise<Client> {
    const c = await connect({ port: server.port });
    clients.push(c);
    return c;
  }

  it('three servers: tasks submitted anywhere run on workers of any server, each once, results pushed across', async () => {
    const schema = await db.schema();
    // Three servers start at once on an empty schema: the migrations run exactly once.
    // nothing-runs-this: accepted (--types), though no worker runs it: it stays enqueued below.
    const [a, b, c] = await startServers(schema.url, 3, ['--types', 'nothing-runs-this']);
    const all = [a!, b!, c!];
    // One worker per server, each listing its own server first.
    for (const [i, s] of all.entries()) {
      const others = all.filter((o) => o !== s).map(address);
      workers.push(
        await spawnWorker(s.port, `w${i}`, [
          '-H',
          [address(s), ...others].join(','),
          '--concurrency',
          '4',
          '--delay-scale',
          '0.001',
        ]),
      );
    }
    const perServer = 40;
    const views = await Promise.all(
      all.map(async (s, i) => {
        const cl = await client(s);
        const ids = await cl.submitMany(
          Array.from({ length: perServer }, (_, j) => ({ type: 'flip', data: `s${i}-${j}` })),
        );
        return Promise.all(ids.map((id) => cl.wait(id)));
      }),
    );
    for (const [i, list] of views.entries()) {
      assert.deepEqual(
        list.map((v) => v.result),
        Array.from({ length: perServer }, (_, j) => [...`s${i}-${j}`].reverse().join('')),
      );
    }
    const counts = await doneCounts(schema.url);
    assert.equal(counts.length, 3 * perServer);
    assert.ok(
      counts.every((t) => t.status === 'done' && t.done === 1),
      'every task done, by exactly one attempt',
    );
    // Results were pushed across servers: tasks waited on at a were run by b's or c's worker.
    const cl = await client(a!);
    const ran = await Promise.all(
      views[0]!.map(
        async (v) => (await cl.status(v.id, { attempts: true })).attemptLog![0]!.worker,
      ),
    );
    assert.ok(
      ran.some((w) => !w.startsWith('w0@')),
      `some of a's tasks ran on another server's worker: ${[...new Set(ran)].join(', ')}`,
    );
    // Status and cancel work from any server.
    const [late] = await (await client(c!)).submitMany([{ type: 'nothing-runs-this', data: 1 }]);
    assert.equal((await cl.status(late!)).status, 'enqueued');
    assert.equal((await (await client(b!)).cancel(late!)).status, 'canceled');
    for (const w of workers.splice(0)) w.child.kill('SIGTERM');
    for (const s of servers.splice(0)) s.child.kill('SIGTERM');
    await schema.drop();
  });

  it('a server killed with SIGKILL mid-load: its workers move on, its leases expire back, nothing is lost', async () => {
    const schema = await db.schema();
    const [a, b] = await startServers(schema.url, 2, ['--lease', '1']);
    const list = `${address(a!)},${address(b!)}`;
    // Two workers start on a (listed first), one on b. Each flip takes 100 ms: the work lasts
    // about 1.7 s, so a still holds leases when it dies, even on a loaded machine.
    const delay = '0.05';
    for (const name of ['wa1', 'wa2']) {
      workers.push(
        await spawnWorker(a!.port, name, [
          '-H',
          list,
          '--concurrency',
          '4',
          '--delay-scale',
          delay,
        ]),
      );
    }
    workers.push(
      await spawnWorker(b!.port, 'wb', [
        '-H',
        `${address(b!)},${address(a!)}`,
        '--delay-scale',
        delay,
      ]),
    );
    const cl = await client(b!);
    const n = 150;
    const ids = await cl.submitMany(
      Array.from({ length: n }, (_, i) => ({ type: 'flip', data: `t${i}` })),
    );
    const results = Promise.all(ids.map((id) => cl.wait(id)));
    // Once a's workers have done a few tasks and hold more, a dies.
    await cl.wait(ids[20]!);
    a!.child.kill('SIGKILL');
    await a!.exited;
    const moved = workers.slice(0, 2);
    await Promise.all(
      moved.map(
        (w) =>
          new Promise<void>((resolve) => {
            const check = () =>
              (w.stderr().match(/connected as/g) ?? []).length >= 2 ? resolve() : undefined;
            w.child.stderr!.on('data', check);
            check();
          }),
      ),
    );
    const views = await results;
    assert.deepEqual(
      views.map((v) => v.result),
      ids.map((_, i) => [...`t${i}`].reverse().join('')),
    );
    const counts = await doneCounts(schema.url);
    assert.equal(counts.length, n);
    assert.ok(counts.every((t) => t.status === 'done' && t.done === 1));
    const states = await leaseStates(schema.url);
    assert.ok(
      (states.expired ?? 0) >= 1,
      `the dead server's leases came back by expiry: ${JSON.stringify(states)}`,
    );
    assert.equal(states.active ?? 0, 0);
    for (const w of workers.splice(0)) w.child.kill('SIGTERM');
    for (const s of servers.splice(0)) s.child.kill('SIGTERM');
    await schema.drop();
  });
});
