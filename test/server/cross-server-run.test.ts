/**
 * `run` on one server whose task runs on another server's worker (a shared PostgreSQL
 * store): the answer comes however the other server's completion races this server's own
 * commit of the submit. Real servers in this process, a real database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../support/postgres.ts';

const available = await pgAvailable();

describe('run across servers', { skip: 'skip' in available && available.skip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('every run submitted on a gets its result from b’s executor', {
    timeout: 90_000,
  }, async () => {
    const schema = await db.schema();
    // a runs nothing itself (noop is accepted through --types); b's executor runs noop.
    const a = new TaskwireServer({
      store: new PostgresStore({ url: schema.url }),
      port: 0,
      local: false,
      types: ['noop'],
    });
    const b = new TaskwireServer({
      store: new PostgresStore({ url: schema.url }),
      port: 0,
      concurrency: 8,
    });
    await a.start();
    await b.start();
    const client = await connect({ port: a.address.port });
    try {
      // One at a time (the latency workload), then many at once.
      for (let i = 0; i < 1000; i++) assert.equal((await client.run('noop', i)).status, 'done');
      for (let round = 0; round < 20; round++) {
        const runs = await Promise.all(
          Array.from({ length: 25 }, (_, i) => client.run('noop', { round, i })),
        );
        assert.deepEqual(
          runs.map((t) => t.status),
          runs.map(() => 'done'),
        );
      }
    } finally {
      await client.close();
      await a.close();
      await b.close();
      await schema.drop();
    }
  });

  it('a quiet run on a costs one round trip: b’s notice carries the finished task', {
    timeout: 90_000,
  }, async () => {
    const schema = await db.schema();
    const storeA = new PostgresStore({ url: schema.url });
    const a = new TaskwireServer({ store: storeA, port: 0, local: false, types: ['noop'] });
    const b = new TaskwireServer({ store: new PostgresStore({ url: schema.url }), port: 0 });
    await a.start();
    await b.start();
    const client = await connect({ port: a.address.port });
    try {
      for (let i = 0; i < 20; i++) assert.equal((await client.run('noop', i)).status, 'done');
      const runs = 50;
      const before = storeA.stats.roundTrips;
      for (let i = 0; i < runs; i++) {
        const task = await client.run('noop', { i });
        assert.equal(task.status, 'done');
        assert.deepEqual(task.data, { i });
      }
      const roundTrips = storeA.stats.roundTrips - before;
      // Per run on a: the submit's commit. Reading the task back after b's notice would be a
      // second. Background sweeps may add a few.
      assert.ok(roundTrips >= runs, `${roundTrips} round trips`);
      assert.ok(roundTrips <= runs + 10, `${roundTrips} round trips for ${runs} runs`);
      // A task too large for a notice's payload (8,000 bytes) is read back, as before.
      const big = 'x'.repeat(9000);
      assert.equal((await client.run('noop', big)).data, big);
    } finally {
      await client.close();
      await a.close();
      await b.close();
      await schema.drop();
    }
  });
});
