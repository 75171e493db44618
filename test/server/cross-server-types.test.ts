/**
 * A type a worker declared on one server is accepted at once on every server sharing its
 * PostgreSQL store: once the worker's hello is answered, a submit of that type on another
 * server never meets UNKNOWN_TASK_TYPE. Real servers in this process, a real database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { Worker } from '../../src/worker/worker.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../support/postgres.ts';

const available = await pgAvailable();

describe('types across servers', { skip: 'skip' in available && available.skip }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('a type declared to b is accepted on a right after b answers the hello', {
    timeout: 60_000,
  }, async () => {
    const schema = await db.schema();
    const start = async () => {
      const server = new TaskwireServer({
        store: new PostgresStore({ url: schema.url }),
        port: 0,
        local: false,
      });
      await server.start();
      return server;
    };
    const [a, b] = [await start(), await start()];
    const client = await connect({ port: a.address.port });
    const workers: Worker[] = [];
    try {
      // Each round is a type neither server has seen, declared to b, then submitted to a
      // at once: a looks it up in the store rather than answering from what it loaded.
      for (let i = 0; i < 5; i++) {
        const type = `resize-${i}`;
        await assert.rejects(client.submit(type, {}), /unknown task type/);
        const worker = new Worker({ port: b.address.port }).handle(type, () => `ran ${i}`);
        workers.push(worker);
        await worker.start();
        const task = await client.run(type, { i });
        assert.equal(task.status, 'done');
        assert.equal(task.result, `ran ${i}`);
      }
    } finally {
      for (const w of workers) await w.close();
      await client.close();
      await a.close();
      await b.close();
      await schema.drop();
    }
  });
});
