/**
 * Claims on PostgreSQL: a quiet server's small batches carry their claims (the submit and
 * its lease in one commit; a report and the worker's next claim in one), a busy server's
 * go through the pump beside the write in flight, and no slot is filled twice when both
 * claim for one worker. A real server in this process, a real database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { connect } from '../../src/client/client.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../support/postgres.ts';

const available = await pgAvailable();

describe('claims on PostgreSQL', { skip: 'skip' in available && available.skip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('a run on a quiet server is two transactions in two round trips: the submit with its lease, the report', {
    timeout: 60_000,
  }, async () => {
    const schema = await db.schema();
    const store = new PostgresStore({ url: schema.url });
    const server = new TaskwireServer({ store, port: 0, delayScale: 0 });
    await server.start();
    const client = await connect({ port: server.address.port });
    try {
      assert.equal((await client.run('flip', 'warm')).status, 'done');
      const runs = 50;
      const before = store.stats;
      for (let i = 0; i < runs; i++) {
        const task = await client.run('flip', `abc${i}`);
        assert.equal(task.status, 'done');
      }
      const roundTrips = store.stats.roundTrips - before.roundTrips;
      // Per run: the submit with the claim that leases it, then the report with the
      // executor's next claim (the server knows the lease's task: no read of it first), one
      // round trip each. A claim of its own, or the locks' answers awaited, would be a third.
      // Background sweeps may add a few.
      assert.ok(roundTrips >= runs * 2, `${roundTrips} round trips`);
      assert.ok(roundTrips <= runs * 2 + 10, `${roundTrips} round trips for ${runs} runs`);
    } finally {
      await client.close();
      await server.close();
      await schema.drop();
    }
  });

  it('a task run on a quiet server is two row writes: inserted already leased, then completed', {
    timeout: 60_000,
  }, async () => {
    const schema = await db.schema();
    const store = new PostgresStore({ url: schema.url });
    const server = new TaskwireServer({ store, port: 0, delayScale: 0 });
    await server.start();
    const client = await connect({ port: server.address.port });
    // A trigger counts the row writes on tasks as they happen (pg_stat counters arrive late).
    const admin = new pg.Client({ connectionString: schema.url });
    await admin.connect();
    try {
      await admin.query(`
        CREATE TABLE writes (op text NOT NULL, id bigint NOT NULL);
        CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO writes VALUES (TG_OP, NEW.id); RETURN NULL; END $$;
        CREATE TRIGGER count_write AFTER INSERT OR UPDATE ON tasks
          FOR EACH ROW EXECUTE FUNCTION count_write();`);
      // The first run may come before the executor's first claim: its task waits ready.
      assert.equal((await client.run('flip', 'warm')).status, 'done');
      const runs = 20;
      const ids: string[] = [];
      for (let i = 0; i < runs; i++) {
        const task = await client.run('flip', `abc${i}`);
        assert.equal(task.status, 'done');
        assert.equal(task.result, [...`abc${i}`].reverse().join(''));
        ids.push(task.id);
      }
      const { rows } = await admin.query<{ op: string; n: string }>(
        'SELECT op, count(*) AS n FROM writes WHERE id = ANY ($1::bigint[]) GROUP BY op ORDER BY op',
        [ids],
      );
      // Inserted and then leased by the claim in its batch would be two updates per run.
      assert.deepEqual(
        rows.map((r) => [r.op, Number(r.n)]),
        [
          ['INSERT', runs],
          ['UPDATE', runs],
        ],
      );
      const attempts = await admin.query<{ attempts: number; lease_worker: string | null }>(
        'SELECT attempts, lease_worker FROM tasks WHERE id = ANY ($1::bigint[])',
        [ids],
      );
      for (const row of attempts.rows) {
        assert.equal(row.attempts, 1);
        assert.ok(row.lease_worker, 'the attempt that finished the task stays on its row');
      }
    } finally {
      await admin.end();
      await client.close();
      await server.close();
      await schema.drop();
    }
  });

  it('many tasks at once through a few slots: each slot holds one task at a time', {
    timeout: 90_000,
  }, async () => {
    const schema = await db.schema();
    const store = new PostgresStore({ url: schema.url });
    const running = { now: 0, most: 0 };
    const server = new TaskwireServer({ store, port: 0, concurrency: 3, delayScale: 0 });
    // Leased, and not done yet: the executor's slots in use (a task is told done before the
    // lease that its freed slot got, which rides in the same batch or comes after it).
    server.events.on('task:leased', () => {
      running.now += 1;
      running.most = Math.max(running.most, running.now);
    });
    server.events.on('task:changed', ({ task }) => {
      if (task.status === 'done') running.now -= 1;
    });
    await server.start();
    const client = await connect({ port: server.address.port });
    try {
      // Bursts (batches beyond the quiet size: the pump claims) and single runs (the batch
      // claims) interleaved, so both claim for the same executor.
      for (let round = 0; round < 20; round++) {
        const burst = Array.from({ length: 30 }, (_, i) => client.run('flip', `${round}-${i}`));
        const single = await client.run('flip', `single-${round}`);
        assert.equal(single.status, 'done');
        const done = await Promise.all(burst);
        assert.deepEqual(
          done.map((t) => t.status),
          done.map(() => 'done'),
        );
      }
      assert.ok(running.most <= 3, `at most 3 tasks leased at once, saw ${running.most}`);
      assert.equal(running.most, 3, 'the slots were all used');
      assert.equal(running.now, 0);
    } finally {
      await client.close();
      await server.close();
      await schema.drop();
    }
  });
});
