/**
 * What an operator does, through real servers and raw sockets, on both stores: cancel of a
 * running task (remote and built-in workers; a late report is refused), attempt timeouts
 * (per task and per type; retries apply), retry (a fresh budget, the history kept, who did
 * it), pause and resume (held across a restart, and across two servers on one PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TaskHandler } from '../../src/handlers/run-handler.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { Store } from '../../src/store/types.ts';
import { Worker } from '../../src/worker/worker.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../support/postgres.ts';
import { RawClient, tempDir } from '../support/server.ts';

const available = await pgAvailable();

/** Reads messages until a notification `method` comes (others are dropped). */
async function notification(raw: RawClient, method: string): Promise<any> {
  for (;;) {
    const msg = await raw.json();
    if (msg.method === method) return msg.params;
  }
}

/** A raw worker connection of `types`. */
async function rawWorker(port: number, types: string[], concurrency = 4): Promise<RawClient> {
  const w = await RawClient.connect(port);
  const hello = await w.call('worker.hello', { name: 'raw', types, concurrency });
  assert.ok(hello.result, JSON.stringify(hello));
  return w;
}

interface Kind {
  name: string;
  skip?: string | false;
  /** A fresh store on a place that `again` opens again (a restart, another server). */
  fresh(): Promise<{ open(): Store; cleanup(): Promise<void> }>;
}

const kinds: Kind[] = [
  {
    name: 'sqlite',
    async fresh() {
      const { dir, remove } = tempDir();
      return {
        open: () => new SqliteStore({ path: `${dir}/t.db` }),
        cleanup: async () => remove(),
      };
    },
  },
  {
    name: 'postgres',
    skip: 'skip' in available && available.skip,
    async fresh() {
      const schema = await db.schema();
      return {
        open: () => new PostgresStore({ url: schema.url }),
        cleanup: () => schema.drop(),
      };
    },
  },
];

let db: TestDatabase;
before(async () => {
  if (!('skip' in available)) db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

async function server(
  store: Store,
  opts: Partial<ConstructorParameters<typeof TaskwireServer>[0]> = {},
) {
  const s = new TaskwireServer({
    port: 0,
    local: false,
    types: ['job'],
    retryBaseMs: 10,
    ...opts,
    store,
  });
  await s.start();
  return s;
}

for (const kind of kinds) {
  describe(`operator (${kind.name})`, { skip: kind.skip ?? false }, () => {
    it('cancel of a running task revokes its lease; the late report is refused', async () => {
      const place = await kind.fresh();
      const s = await server(place.open());
      const worker = await rawWorker(s.address.port, ['job']);
      const client = await RawClient.connect(s.address.port);
      try {
        const { result } = await client.call('submit', { type: 'job', data: 1 });
        const [assigned] = (await notification(worker, 'task.assign')).tasks;
        assert.equal(assigned.id, result.id);
        const waiting = client.send('wait', { id: result.id });
        const other = await RawClient.connect(s.address.port);
        const canceled = await other.call('cancel', { id: result.id });
        assert.equal(canceled.result.status, 'canceled');
        assert.deepEqual(await notification(worker, 'task.revoke'), {
          tokens: [assigned.token],
          reason: 'canceled',
        });
        // The waiting client gets the canceled state pushed.
        assert.equal((await client.responseTo(waiting)).result.status, 'canceled');
        const late = await worker.call('worker.complete', {
          items: [{ token: assigned.token, result: 'late' }],
        });
        assert.deepEqual(late.result, { accepted: [false] });
        const status = (await other.call('status', { id: result.id, attempts: true })).result;
        assert.equal(status.status, 'canceled');
        assert.equal(status.result, undefined);
        assert.deepEqual(
          status.attemptLog.map((a: { state: string }) => a.state),
          ['canceled'],
        );
        const again = await other.call('cancel', { id: result.id });
        assert.equal(again.error.code, 1004);
        assert.match(again.error.message, /finished task cannot be canceled/);
        other.close();
        // The worker's slot is free again: its next task comes.
        const next = (await client.call('submit', { type: 'job', data: 2 })).result;
        assert.equal((await notification(worker, 'task.assign')).tasks[0].id, next.id);
      } finally {
        worker.close();
        client.close();
        await s.close();
        await place.cleanup();
      }
    });

    it('cancel of a built-in task aborts its signal with a reason that says canceled', async () => {
      const place = await kind.fresh();
      let started!: () => void;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const reasons: string[] = [];
      const handler: TaskHandler = (_task, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reasons.push(String((ctx.signal.reason as Error).message));
            reject(ctx.signal.reason);
          });
          started();
        });
      const s = await server(place.open(), {
        local: true,
        types: [],
        handlers: new Map([['hang', handler]]),
      });
      const client = await RawClient.connect(s.address.port);
      try {
        const { result } = await client.call('submit', { type: 'hang', data: null });
        await running;
        assert.equal((await client.call('cancel', { id: result.id })).result.status, 'canceled');
        const done = (await client.call('wait', { id: result.id })).result;
        assert.equal(done.status, 'canceled');
        assert.deepEqual(reasons, ['lease canceled']);
      } finally {
        client.close();
        await s.close();
        await place.cleanup();
      }
    });

    it('a task timeout fails the attempt with timeout; retries apply; the worker is told', async () => {
      const place = await kind.fresh();
      const s = await server(place.open());
      const worker = await rawWorker(s.address.port, ['job']);
      const client = await RawClient.connect(s.address.port);
      try {
        const { result } = await client.call('submit', {
          type: 'job',
          data: 1,
          timeout: 30,
          maxAttempts: 2,
        });
        const first = (await notification(worker, 'task.assign')).tasks[0];
        assert.deepEqual(await notification(worker, 'task.revoke'), {
          tokens: [first.token],
          reason: 'timeout',
        });
        // Retried with backoff: a second attempt, which times out too.
        const second = (await notification(worker, 'task.assign')).tasks[0];
        assert.equal(second.attempt, 2);
        assert.equal((await notification(worker, 'task.revoke')).reason, 'timeout');
        const done = (await client.call('wait', { id: result.id })).result;
        assert.equal(done.status, 'failed');
        assert.equal(done.error, 'timeout');
        const late = await worker.call('worker.complete', { items: [{ token: first.token }] });
        assert.deepEqual(late.result, { accepted: [false] });
        const log = (await client.call('status', { id: result.id, attempts: true })).result;
        assert.deepEqual(
          log.attemptLog.map((a: { state: string; error?: string }) => [a.state, a.error]),
          [
            ['failed', 'timeout'],
            ['failed', 'timeout'],
          ],
        );
      } finally {
        worker.close();
        client.close();
        await s.close();
        await place.cleanup();
      }
    });

    it('a type default timeout aborts a built-in handler with reason timeout', async () => {
      const place = await kind.fresh();
      const reasons: string[] = [];
      const handler: TaskHandler = (_task, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reasons.push(String((ctx.signal.reason as Error).message));
            reject(ctx.signal.reason);
          });
        });
      const s = await server(place.open(), {
        local: true,
        types: [],
        maxAttempts: 1,
        handlers: new Map([['hang', handler]]),
        taskTimeouts: new Map([['hang', 20]]),
      });
      const client = await RawClient.connect(s.address.port);
      try {
        const done = (await client.call('run', { type: 'hang', data: null })).result;
        assert.equal(done.status, 'failed');
        assert.equal(done.error, 'timeout');
        assert.deepEqual(reasons, ['lease timeout']);
      } finally {
        client.close();
        await s.close();
        await place.cleanup();
      }
    });

    it('retry puts a failed task back with a fresh budget; the log says who', async () => {
      const place = await kind.fresh();
      const s = await server(place.open(), { maxAttempts: 1 });
      const worker = await rawWorker(s.address.port, ['job']);
      const client = await RawClient.connect(s.address.port);
      try {
        const { result } = await client.call('submit', { type: 'job', data: 1 });
        const first = (await notification(worker, 'task.assign')).tasks[0];
        await worker.call('worker.fail', { items: [{ token: first.token, error: 'boom' }] });
        assert.equal((await client.call('wait', { id: result.id })).result.status, 'failed');
        const retried = await client.call('retry', { id: result.id });
        assert.equal(retried.result.status, 'enqueued');
        const second = (await notification(worker, 'task.assign')).tasks[0];
        assert.equal(second.attempt, 2);
        await worker.call('worker.complete', { items: [{ token: second.token, result: 'ok' }] });
        const done = (await client.call('wait', { id: result.id })).result;
        assert.equal(done.status, 'done');
        const log = (await client.call('status', { id: result.id, attempts: true })).result;
        assert.deepEqual(
          log.attemptLog.map((a: { state: string }) => a.state),
          ['failed', 'done'],
        );
        assert.equal(log.retries.length, 1);
        assert.equal(log.retries[0].was, 'failed');
        assert.match(log.retries[0].by, /^127\.0\.0\.1:\d+$/);
        const refused = await client.call('retry', { id: result.id });
        assert.equal(refused.error.code, 1015);
        assert.equal(refused.error.data.status, 'done');
        assert.equal((await client.call('retry', { id: '99999' })).error.code, 1001);
        assert.equal((await client.call('retry', { id: 'x' })).error.code, 1001);
      } finally {
        worker.close();
        client.close();
        await s.close();
        await place.cleanup();
      }
    });

    it('retryMany retries the failed tasks of a type since a time, and counts them', async () => {
      const place = await kind.fresh();
      const s = await server(place.open(), { maxAttempts: 1, types: ['job', 'other'] });
      const worker = await rawWorker(s.address.port, ['job', 'other'], 100);
      const client = await RawClient.connect(s.address.port);
      try {
        const tasks = [...Array.from({ length: 5 }, () => 'job'), 'other'].map((type) => ({
          type,
          data: 0,
        }));
        const { ids } = (await client.call('submitMany', { tasks })).result;
        const assigned: any[] = [];
        while (assigned.length < ids.length) {
          assigned.push(...(await notification(worker, 'task.assign')).tasks);
        }
        await worker.call('worker.fail', {
          items: assigned.map((a) => ({ token: a.token, error: 'boom' })),
        });
        for (const id of ids) await client.call('wait', { id });
        const none = await client.call('retryMany', { since: '2999-01-01T00:00:00Z' });
        assert.deepEqual(none.result, { retried: 0 });
        const many = await client.call('retryMany', { type: 'job' });
        assert.deepEqual(many.result, { retried: 5 });
        const again = await client.call('retryMany', { type: 'job' });
        assert.deepEqual(again.result, { retried: 0 });
        const bad = await client.call('retryMany', { since: 'yesterday' });
        assert.equal(bad.error.code, -32602);
        const badStatus = await client.call('retryMany', { status: 'done' });
        assert.equal(badStatus.error.code, -32602);
      } finally {
        worker.close();
        client.close();
        await s.close();
        await place.cleanup();
      }
    });

    it('a pause holds tasks of its type, across a restart, until resumed', async () => {
      const place = await kind.fresh();
      let s = await server(place.open());
      let client = await RawClient.connect(s.address.port);
      try {
        assert.deepEqual((await client.call('pause', { type: 'job' })).result, {
          type: 'job',
          paused: true,
          changed: true,
        });
        assert.equal((await client.call('pause', { type: 'job' })).result.changed, false);
        const { result } = await client.call('submit', { type: 'job', data: 1 });
        client.close();
        await s.close();
        s = await server(place.open());
        client = await RawClient.connect(s.address.port);
        const types = (await client.call('types')).result.types;
        const job = types.find((t: { type: string }) => t.type === 'job');
        assert.equal(job.paused, true);
        assert.equal(job.counts.enqueued, 1);
        const worker = await rawWorker(s.address.port, ['job']);
        // A paused type hands out nothing; another type still runs.
        const probe = (await client.call('ping')).result;
        assert.equal(probe.pong, true);
        assert.equal((await client.call('status', { id: result.id })).result.status, 'enqueued');
        assert.deepEqual((await client.call('resume', { type: 'job' })).result, {
          type: 'job',
          paused: false,
          changed: true,
        });
        assert.equal((await notification(worker, 'task.assign')).tasks[0].id, result.id);
        worker.close();
        for (const [method, params] of [
          ['pause', {}],
          ['pause', { type: '' }],
          ['resume', { type: 7 }],
          ['types', { all: true }],
        ] as const) {
          assert.equal((await client.call(method, params)).error.code, -32602, method);
        }
      } finally {
        client.close();
        await s.close();
        await place.cleanup();
      }
    });
  });
}

describe('cancel across servers on one PostgreSQL', {
  skip: 'skip' in available && available.skip,
}, () => {
  it('a cancel on one server stops the Worker running the task on another', async () => {
    const schema = await db.schema();
    const a = await server(new PostgresStore({ url: schema.url }));
    const b = await server(new PostgresStore({ url: schema.url }));
    const onA = await RawClient.connect(a.address.port);
    const reasons: string[] = [];
    const worker = new Worker({ port: b.address.port, concurrency: 1 }).handle(
      'job',
      (_task, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reasons.push((ctx.signal.reason as Error).message);
            reject(ctx.signal.reason);
          });
        }),
    );
    try {
      await worker.start();
      const started = worker.next('task:started');
      const aborted = worker.next('task:aborted');
      const { result } = await onA.call('submit', { type: 'job', data: 1 });
      await started;
      assert.equal((await onA.call('cancel', { id: result.id })).result.status, 'canceled');
      // b hears the revoked token through the store's notification, and tells its worker.
      assert.equal((await aborted).reason, 'lease canceled');
      assert.deepEqual(reasons, ['lease canceled']);
      const log = (await onA.call('status', { id: result.id, attempts: true })).result;
      assert.deepEqual(
        log.attemptLog.map((x: { state: string }) => x.state),
        ['canceled'],
      );
    } finally {
      await worker.close();
      onA.close();
      await a.close();
      await b.close();
      await schema.drop();
    }
  });
});

describe('pause across servers on one PostgreSQL', {
  skip: 'skip' in available && available.skip,
}, () => {
  it('a pause on one server holds the type on the other; a resume there releases it', async () => {
    const schema = await db.schema();
    const a = await server(new PostgresStore({ url: schema.url }));
    const b = await server(new PostgresStore({ url: schema.url }));
    const onA = await RawClient.connect(a.address.port);
    const onB = await RawClient.connect(b.address.port);
    const worker = await rawWorker(b.address.port, ['job']);
    try {
      // b hears of it through the store's notifications, then its claims leave job out.
      const heard = b.events.next('types:paused', (e) => e.paused.includes('job'));
      await onA.call('pause', { type: 'job' });
      await heard;
      const t = (await onB.call('types')).result.types.find((x: any) => x.type === 'job');
      assert.equal(t.paused, true);
      const { result } = await onA.call('submit', { type: 'job', data: 1 });
      assert.equal((await onB.call('status', { id: result.id })).result.status, 'enqueued');
      await onB.call('resume', { type: 'job' });
      assert.equal((await notification(worker, 'task.assign')).tasks[0].id, result.id);
    } finally {
      worker.close();
      onA.close();
      onB.close();
      await a.close();
      await b.close();
      await schema.drop();
    }
  });
});
