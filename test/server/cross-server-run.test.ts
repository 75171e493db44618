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
});
