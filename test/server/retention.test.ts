/**
 * Retention end to end in one process, on both stores: a server with an injected clock
 * prunes finished tasks once their retention passed (done and canceled by --retention,
 * failed by --retention-failed), never unfinished ones, and answers status, wait and cancel
 * on a pruned id with TASK_PRUNED, distinct from TASK_NOT_FOUND. On PostgreSQL one server
 * prunes at a time: two pruners on one database never both delete, and neither runs while
 * another holds the pruning lock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, TaskPrunedError } from '../../src/client/index.ts';
import type { TaskHandler } from '../../src/handlers/run-handler.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { Pruner } from '../../src/server/scheduling/pruner.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { PrunedTask } from '../../src/store/retention.ts';
import { emptyBatch, type Store } from '../../src/store/types.ts';
import {
  createTestDatabase,
  pgAvailable,
  type TestDatabase,
  withAdmin,
} from '../support/postgres.ts';
import { RawClient, startServer } from '../support/server.ts';

const available = await pgAvailable();
const SECOND = 1000;
const T0 = 1_800_000_000_000;

const boom: TaskHandler = () => {
  throw new Error('boom');
};

interface Backend {
  name: string;
  skip?: string;
  store?: () => Promise<{ store: Store; drop(): Promise<void> }>;
}

let pgdb: TestDatabase | undefined;
before(async () => {
  if ('url' in available) pgdb = await createTestDatabase();
});
after(async () => {
  await pgdb?.drop();
});

const backends: Backend[] = [
  { name: 'sqlite' },
  {
    name: 'postgres',
    ...('skip' in available && { skip: available.skip }),
    store: async () => {
      const schema = await pgdb!.schema();
      return { store: new PostgresStore({ url: schema.url }), drop: () => schema.drop() };
    },
  },
];

for (const backend of backends) {
  describe(`retention (${backend.name})`, { skip: backend.skip ?? false }, () => {
    it('a tally goes whole once its last task is past the retention; tally.status says so', async () => {
      let clock = T0;
      const made = await backend.store?.();
      const ts = await startServer({
        ...(made && { store: made.store }),
        now: () => clock,
        concurrency: 4,
        retentionMs: 10 * SECOND,
        pruneIntervalMs: 5,
      });
      const client = await RawClient.connect(ts.port);
      try {
        const created = await client.call('tally.create', { keys: 3, reps: 1 });
        const id = created.result.id as string;
        for (;;) {
          const changed = ts.server.events.next('task:changed');
          const status = (await client.call('tally.status', { id })).result;
          if (status.keysDone === 3) break;
          await changed;
        }
        const gone = ts.server.events.next('task:pruned', (e) => e.tallies.includes(Number(id)));
        clock += 11 * SECOND;
        const pruned = await gone;
        assert.equal(pruned.tasks.length, 3);
        const reply = await client.call('tally.status', { id });
        assert.equal(reply.error?.code, ErrorCode.TASK_PRUNED);
        assert.match(
          reply.error.message,
          /tally \d+ was finished and has been deleted by retention/,
        );
        assert.equal((await client.call('tally.status', { id: '999' })).error?.code, 1009);
      } finally {
        client.close();
        await ts[Symbol.asyncDispose]();
        await made?.drop();
      }
    });

    it('prunes each finished status by its retention, and says so on status, wait and cancel', async () => {
      let clock = T0;
      const made = await backend.store?.();
      const ts = await startServer({
        ...(made && { store: made.store }),
        now: () => clock,
        handlers: new Map([['boom', boom]]),
        maxAttempts: 1,
        http: { host: '127.0.0.1', port: 0 },
        retentionMs: 10 * SECOND,
        retentionFailedMs: 60 * SECOND,
        pruneIntervalMs: 5,
      });
      const client = await RawClient.connect(ts.port);
      try {
        const run = async (type: string, data: string) => {
          const reply = await client.call('run', { type, data });
          return reply.result as { id: string; status: string };
        };
        const done = await run('flip', 'abc');
        assert.equal(done.status, 'done');
        const failed = await run('boom', 'x');
        assert.equal(failed.status, 'failed');
        const later = (
          await client.call('submit', { type: 'flip', data: 'x', delay: 30 * 86_400_000 })
        ).result.id as string;
        const canceled = (await client.call('submit', { type: 'flip', data: 'y', delay: 5000 }))
          .result.id as string;
        assert.equal((await client.call('cancel', { id: canceled })).result.status, 'canceled');

        // Past 10 s: done and canceled go, failed stays.
        const pruned = new Set<string>();
        const gone = ts.server.events.next('task:pruned', (e) => {
          for (const t of e.tasks) pruned.add(String(t.id));
          return pruned.has(done.id) && pruned.has(canceled);
        });
        clock += 11 * SECOND;
        await gone;
        for (const id of [done.id, canceled]) {
          for (const method of ['status', 'wait', 'cancel', 'retry']) {
            const reply = await client.call(method, { id });
            assert.equal(reply.error?.code, ErrorCode.TASK_PRUNED, `${method} ${id}`);
            assert.match(reply.error.message, /deleted by retention/);
            assert.deepEqual(reply.error.data, { id });
          }
        }
        assert.equal((await client.call('status', { id: failed.id })).result.status, 'failed');
        // An id never handed out is not "pruned".
        const never = String(Number(later) + 1000);
        assert.equal((await client.call('status', { id: never })).error?.code, 1001);

        const failedGone = ts.server.events.next('task:pruned', (e) =>
          e.tasks.some((t) => String(t.id) === failed.id),
        );
        clock += 60 * SECOND;
        await failedGone;
        assert.equal((await client.call('status', { id: failed.id })).error?.code, 1014);
        // The dashboard's API says gone (410), not unknown (404); the task counts let go.
        const http = `http://127.0.0.1:${ts.server.httpAddress!.port}`;
        assert.equal((await fetch(`${http}/api/tasks/${done.id}`)).status, 410);
        assert.equal((await fetch(`${http}/api/tasks/${never}`)).status, 404);
        const metrics = await (await fetch(`${http}/metrics`)).text();
        assert.match(metrics, /taskwire_tasks\{type="flip",status="done"\} 0/);
        assert.match(metrics, /taskwire_tasks\{type="flip",status="canceled"\} 0/);
        assert.match(metrics, /taskwire_tasks\{type="flip",status="scheduled"\} 1/);
        // The client library's class for it.
        await using lib = await connect({ port: ts.port });
        await assert.rejects(lib.status(done.id), TaskPrunedError);
        await assert.rejects(lib.status(never), (e: Error) => !(e instanceof TaskPrunedError));
        // The delayed task is not finished: it stays, however old its submit.
        assert.equal((await client.call('status', { id: later })).result.status, 'scheduled');
      } finally {
        client.close();
        await ts[Symbol.asyncDispose]();
        await made?.drop();
      }
    });
  });
}

describe('retention on one PostgreSQL database shared by two servers', {
  skip: 'skip' in available && available.skip,
}, () => {
  it('a finished row another transaction held locked when its batch read it is pruned by the next pass from the start', async () => {
    const schema = await pgdb!.schema();
    const store = new PostgresStore({ url: schema.url });
    let clock = T0;
    const pruned: number[] = [];
    const pruner = new Pruner(store, {
      policy: { done: 10 * SECOND, failed: 10 * SECOND, canceled: 10 * SECOND },
      now: () => clock,
      rescanMs: 60 * SECOND,
      onPruned: (tasks) => pruned.push(...tasks.map((t) => t.id)),
      onError: (error) => assert.fail(String(error)),
    });
    try {
      await store.open();
      const submits = [1, 2, 3].map((i) => ({ type: 'flip', data: i, reps: 1, maxAttempts: 1 }));
      const { ids } = await store.write({ ...emptyBatch(T0), submits });
      const leases = await store.claim({
        worker: 'w',
        types: ['flip'],
        limit: 3,
        now: T0,
        leaseMs: 30_000,
      });
      const completions = leases.map((l) => ({ token: l.token, result: 'ok', units: 1 }));
      await store.write({ ...emptyBatch(T0), completions });
      clock = T0 + 11 * SECOND;
      const held = ids[1]!;
      // The middle task is locked by another transaction while the first sweep reads it.
      await withAdmin(schema.url, async (c) => {
        await c.query('BEGIN');
        await c.query('SELECT id FROM tasks WHERE id = $1 FOR UPDATE', [held]);
        await pruner.sweep();
        await c.query('ROLLBACK');
      });
      assert.deepEqual(pruned.sort(), [ids[0], ids[2]].sort());
      // Once the rescan interval passed, a sweep starts from the oldest finished task again.
      clock += 60 * SECOND;
      await pruner.sweep();
      assert.ok(pruned.includes(held), `task ${held} is still there: ${pruned}`);
      assert.equal((await store.counts()).done, 0);
    } finally {
      await pruner.stop();
      await store.close();
      await schema.drop();
    }
  });

  it('one server prunes at a time: never both, and neither while another holds the lock', async () => {
    const schema = await pgdb!.schema();
    const stores = [new PostgresStore({ url: schema.url }), new PostgresStore({ url: schema.url })];
    const [a, b] = stores as [PostgresStore, PostgresStore];
    let clock = T0;
    const reports: [PrunedTask[], PrunedTask[]] = [[], []];
    const pruners = stores.map(
      (store, i) =>
        new Pruner(store, {
          policy: { done: 10 * SECOND, failed: 10 * SECOND, canceled: 10 * SECOND },
          now: () => clock,
          batch: 50,
          onPruned: (tasks) => reports[i]!.push(...tasks),
          onError: (error) => assert.fail(String(error)),
        }),
    );
    try {
      await a.open();
      await b.open();
      const submits = Array.from({ length: 400 }, (_, i) => ({
        type: 'flip',
        data: i,
        reps: 1,
        maxAttempts: 1,
      }));
      const { ids } = await a.write({ ...emptyBatch(T0), submits });
      for (let left = ids.length; left > 0; ) {
        const leases = await b.claim({
          worker: 'w',
          types: ['flip'],
          limit: 100,
          now: T0,
          leaseMs: 30_000,
        });
        const completions = leases.map((l) => ({ token: l.token, result: 'ok', units: 1 }));
        await b.write({ ...emptyBatch(T0), completions });
        left -= leases.length;
      }
      clock = T0 + 11 * SECOND;
      // A third connection holds the pruning lock: both sweeps find it taken and do nothing.
      await withAdmin(schema.url, async (c) => {
        await c.query('BEGIN');
        const { rows } = await c.query(
          "SELECT pg_try_advisory_xact_lock(hashtext('taskwire.prune'), hashtext(current_schema())) AS got",
        );
        assert.equal(rows[0].got, true);
        await Promise.all(pruners.map((p) => p.sweep()));
        await c.query('ROLLBACK');
      });
      assert.deepEqual(reports, [[], []]);
      assert.equal((await a.counts()).done, 400);
      // Both sweep at once, batch by batch: each task is deleted (and reported) by one.
      await Promise.all(pruners.map((p) => p.sweep()));
      await Promise.all(pruners.map((p) => p.sweep()));
      const all = [...reports[0]!, ...reports[1]!].map((t) => t.id).sort((x, y) => x - y);
      assert.deepEqual(all, ids);
      assert.equal((await a.counts()).done, 0);
      assert.deepEqual(await b.prunedMarks(), { task: Math.max(...ids), tally: 0 });
    } finally {
      await Promise.all(pruners.map((p) => p.stop()));
      await Promise.all(stores.map((s) => s.close()));
      await schema.drop();
    }
  });
});
