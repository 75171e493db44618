/**
 * Scheduling through real servers: priorities, delayed tasks picked up by the one due timer,
 * unique keys, cron schedules; a restart with delayed tasks and schedules pending (the clock
 * is injected: no sleeping through real hours); several servers on one PostgreSQL database.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { RpcError } from '../../src/client/errors.ts';
import type { TaskInput } from '../../src/handlers/run-handler.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { Worker } from '../../src/worker/worker.ts';
import {
  createTestDatabase,
  pgAvailable,
  type TestDatabase,
  withAdmin,
} from '../support/postgres.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

const HOUR = 3_600_000;

describe('scheduling on a server', () => {
  it('hands out the highest priority first, equal ones in submit order', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const handlers = new Map([['gate', () => gate.then(() => null)]]);
    await using t = await startServer({ concurrency: 1, delayScale: 0.001, handlers });
    await using client = await connect({ port: t.port });
    // The executor is busy with the first task while the others queue up.
    const leased = t.server.events.next('task:leased');
    const first = await client.submit('gate', 'busy');
    await leased;
    const queued = [
      await client.submit('flip', 'low', { priority: -1 }),
      await client.submit('flip', 'mid-a'),
      await client.submit('flip', 'high', { priority: 9 }),
      await client.submit('flip', 'mid-b'),
    ];
    open();
    const done = await Promise.all([first, ...queued].map((id) => client.wait(id)));
    const order = done.slice(1).sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    assert.deepEqual(
      order.map((d) => d.data),
      ['high', 'mid-a', 'mid-b', 'low'],
    );
    assert.deepEqual(
      done.slice(1).map((d) => d.priority),
      [-1, 0, 9, 0],
    );
  });

  it('a delayed task is scheduled until due, then runs on time, and wait waits through', async (t) => {
    await using s = await startServer({ delayScale: 0 });
    await using client = await connect({ port: s.port });
    const { id } = await client.submitTask('noop', 'later', { delay: 200 });
    const task = await client.status(id);
    assert.equal(task.status, 'scheduled');
    assert.ok(task.runAt, 'the due time is shown');
    const seen: string[] = [];
    const done = await client.wait(id, { onUpdate: (u) => seen.push(u.status) });
    assert.equal(done.status, 'done');
    assert.deepEqual([...new Set(seen)].slice(0, 2), ['scheduled', 'enqueued']);
    assert.ok(done.startedAt! >= task.runAt!, 'not before its time');
    const lag = Date.parse(done.startedAt!) - Date.parse(task.runAt!);
    t.diagnostic(`started ${lag} ms after its due time`);
  });

  it('a scheduled task can be canceled; a task may also be due at a given time', async () => {
    await using s = await startServer({ delayScale: 0 });
    await using client = await connect({ port: s.port });
    const id = await client.submit('noop', 'never', { runAt: new Date(Date.now() + HOUR) });
    assert.equal((await client.cancel(id)).status, 'canceled');
    const soon = await client.submit('noop', 'soon', { runAt: new Date(Date.now() + 50) });
    assert.equal((await client.wait(soon)).status, 'done');
  });

  it('the seed protocol answers `ID: scheduled` for a delayed task', async () => {
    await using s = await startServer({ delayScale: 0 });
    await using client = await connect({ port: s.port });
    const id = await client.submit('flip', 'later', { delay: HOUR });
    const seed = await RawClient.connect(s.port);
    seed.write(`status: ${id}\n`);
    assert.equal(await seed.line(), `${id}: scheduled`);
    seed.close();
  });

  it('refuses bad scheduling params with clear errors and stores nothing', async () => {
    await using s = await startServer({ delayScale: 0 });
    await using client = await connect({ port: s.port });
    const refused = async (p: Promise<unknown>, code: number, pattern: RegExp) => {
      const err = await p.catch((e: unknown) => e);
      assert.ok(err instanceof RpcError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
    };
    const bad = ErrorCode.INVALID_PARAMS;
    await refused(client.submit('noop', 1, { delay: -1 }), bad, /delay/);
    await refused(client.submit('noop', 1, { priority: 1001 }), bad, /priority/);
    await refused(client.submit('noop', 1, { key: 'k'.repeat(257) }), bad, /key/);
    await refused(client.submit('noop', 1, { runAt: '2020-01-01T00:00:00Z' }), bad, /in the past/);
    await refused(client.submit('noop', 1, { runAt: 'tomorrow' }), bad, /ISO 8601/);
    await refused(client.submit('noop', 1, { delay: 5, runAt: new Date() }), bad, /not both/);
    const schedule = { name: 's', cron: '* * * * *', type: 'noop', data: 1 };
    await refused(
      client.addSchedule({ ...schedule, cron: '61 * * * *' }),
      ErrorCode.INVALID_SCHEDULE,
      /Invalid value for minute: 61/,
    );
    await refused(
      client.addSchedule({ ...schedule, tz: 'Mars/Base' }),
      ErrorCode.INVALID_SCHEDULE,
      /unknown time zone "Mars\/Base"/,
    );
    await refused(
      client.addSchedule({ ...schedule, type: 'nothing-runs-this' }),
      ErrorCode.UNKNOWN_TASK_TYPE,
      /unknown task type/,
    );
    await refused(client.removeSchedule('none'), ErrorCode.SCHEDULE_NOT_FOUND, /no such schedule/);
    const counts = await s.store.counts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
      'no task stored',
    );
    assert.deepEqual(await client.listSchedules(), [], 'no schedule stored');
  });

  it('a key makes one task; submitMany and run say so per item', async () => {
    await using s = await startServer({ delayScale: 0 });
    await using client = await connect({ port: s.port });
    const first = await client.submitTask('noop', 'a', { key: 'k', delay: HOUR });
    assert.deepEqual(await client.submitTask('noop', 'b', { key: 'k' }), {
      id: first.id,
      duplicate: true,
    });
    const many = await client.call('submitMany', {
      tasks: [
        { type: 'noop', data: 1, key: 'k' },
        { type: 'noop', data: 2, key: 'other' },
      ],
    });
    assert.equal(many.ids[0], first.id);
    assert.deepEqual(many.duplicate, [true, false]);
    const ran = await client.run('noop', 'r', { key: 'once' });
    const again = await client.run('noop', 'r2', { key: 'once' });
    assert.equal(again.id, ran.id, 'run of a held key waits for the task that holds it');
    assert.equal(again.data, 'r');
    assert.equal((await client.status(first.id)).key, 'k');
  });

  it("a worker's handler sees the task's priority, key and schedule", async () => {
    await using s = await startServer({ local: false, types: ['job'] });
    await using client = await connect({ port: s.port });
    const seen: TaskInput[] = [];
    const worker = new Worker({ port: s.port }).handle('job', (task) => {
      seen.push(task);
      return null;
    });
    await worker.start();
    try {
      await client.wait(await client.submit('job', 1, { priority: 5, key: 'pay-1' }));
      await client.wait(await client.submit('job', 2));
      await client.addSchedule({ name: 'beat', cron: '* * * * * *', type: 'job', data: 3 });
      const { taskId } = await s.server.events.next('schedule:ticked');
      await client.wait(String(taskId));
      await client.removeSchedule('beat');
      const [keyed, plain, ticked] = seen;
      assert.deepEqual([keyed?.priority, keyed?.key, keyed?.schedule], [5, 'pay-1', undefined]);
      assert.deepEqual([plain?.priority, plain?.key, plain?.schedule], [0, undefined, undefined]);
      assert.equal(ticked?.schedule, 'beat');
      assert.match(ticked?.key ?? '', /^beat@\d{4}-/);
    } finally {
      await worker.close();
    }
  });

  it('a cron schedule ticks once per tick, each task keyed and named', async () => {
    await using s = await startServer({ delayScale: 0 });
    await using client = await connect({ port: s.port });
    const added = await client.addSchedule({
      name: 'each-second',
      cron: '* * * * * *',
      type: 'noop',
      data: { report: true },
      priority: 3,
    });
    assert.equal(added.created, true);
    const ticks = [];
    for (let i = 0; i < 2; i++) ticks.push(await s.server.events.next('schedule:ticked'));
    assert.ok(ticks[1]!.at - ticks[0]!.at === 1000, 'consecutive ticks');
    const task = await client.wait(String(ticks[0]!.taskId));
    assert.deepEqual(
      [task.status, task.schedule, task.priority, task.key],
      ['done', 'each-second', 3, `each-second@${new Date(ticks[0]!.at).toISOString()}`],
    );
    const [listed] = await client.listSchedules();
    assert.equal(listed?.name, 'each-second');
    assert.ok(listed?.lastTask, 'the last run and its task are listed');
    await client.removeSchedule('each-second');
    assert.deepEqual(await client.listSchedules(), []);
  });
});

describe('a restart with delayed tasks and schedules pending', () => {
  it('runs what came due while it was down, one catch-up task per schedule', async () => {
    const tmp = tempDir();
    const db = join(tmp.dir, 'db');
    let offset = 0;
    const now = () => Date.now() + offset;
    const first = new TaskwireServer({ store: new SqliteStore({ path: db }), port: 0, now });
    const { port } = await first.start();
    const client = await connect({ port, reconnect: false });
    const delayed = await client.submit('noop', 'in an hour', { delay: HOUR });
    const later = await client.submit('noop', 'in a day', { delay: 24 * HOUR });
    await client.addSchedule({ name: 'hourly', cron: '0 * * * *', type: 'noop', data: 'h' });
    await client.close();
    await first.close();

    offset = 5 * HOUR + 60_000; // five hourly ticks pass while no server runs
    const store = new SqliteStore({ path: db });
    const second = new TaskwireServer({
      store,
      port: 0,
      now,
      delayScale: 0,
    });
    const ticked = second.events.next('schedule:ticked');
    const restarted = await second.start();
    try {
      const c = await connect({ port: restarted.port });
      assert.equal((await c.wait(delayed)).status, 'done', 'the due task ran');
      assert.equal((await c.status(later)).status, 'scheduled', 'the other still waits');
      const tick = await ticked;
      assert.equal((await c.wait(String(tick.taskId))).status, 'done');
      const [hourly] = await c.listSchedules();
      assert.equal(hourly?.lastTask, String(tick.taskId));
      assert.ok(Date.parse(hourly!.nextRun!) > now(), 'the next run is after now');
      const tasks = await store.counts();
      assert.equal(tasks.done, 2, 'the delayed task and one catch-up task, not five');
      await c.close();
    } finally {
      await second.close();
      tmp.remove();
    }
  });
});

const pg = await pgAvailable();

describe('scheduling on several servers sharing PostgreSQL', {
  skip: 'skip' in pg && pg.skip,
}, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  async function servers(url: string, n: number, local: boolean[]) {
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const server = new TaskwireServer({
          store: new PostgresStore({ url }),
          port: 0,
          delayScale: 0,
          local: local[i] ?? true,
          types: ['noop'],
        });
        const { port } = await server.start();
        return { server, port };
      }),
    );
  }

  it("a delayed task submitted on a server that then stops runs once, on another's timer", async () => {
    const schema = await db.schema();
    const [a, b] = await servers(schema.url, 2, [false, true]);
    try {
      const ca = await connect({ port: a!.port, reconnect: false });
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) => ca.submit('noop', i, { delay: 300 + 10 * i })),
      );
      await ca.close();
      await a!.server.close(); // its timer is gone: B heard of the due times
      const cb = await connect({ port: b!.port });
      const done = await Promise.all(ids.map((id) => cb.wait(id)));
      assert.ok(
        done.every((t) => t.status === 'done' && t.attempts === 1),
        'each ran once',
      );
      await cb.close();
    } finally {
      await b!.server.close();
      await schema.drop();
    }
  });

  it('a schedule ticks once per tick however many servers fire for it', async () => {
    const schema = await db.schema();
    const all = await servers(schema.url, 3, [true, true, true]);
    try {
      const c = await connect({ port: all[0]!.port });
      await c.addSchedule({ name: 'each-second', cron: '* * * * * *', type: 'noop', data: 0 });
      const seen = new Map<number, number>();
      const threeTicks = new Promise<void>((resolve) => {
        for (const { server } of all) {
          server.events.on('schedule:ticked', (t) => {
            seen.set(t.at, (seen.get(t.at) ?? 0) + 1);
            if (seen.size === 3) resolve();
          });
        }
      });
      await threeTicks;
      await c.removeSchedule('each-second');
      for (const [at, n] of seen) assert.equal(n, 1, `tick ${new Date(at).toISOString()} ran once`);
      const { rows } = await withAdmin(schema.url, (q) =>
        q.query('SELECT key, count(*)::int AS n FROM tasks GROUP BY key ORDER BY key'),
      );
      assert.ok(rows.length >= 3, 'a task per tick');
      assert.ok(
        rows.every((r: { n: number }) => r.n === 1),
        'no tick made two tasks',
      );
      await c.close();
    } finally {
      await Promise.all(all.map((s) => s.server.close()));
      await schema.drop();
    }
  });
});
