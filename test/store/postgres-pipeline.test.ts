/**
 * A pipeline's statements leave in one write to PostgreSQL's socket, not one per statement:
 * each socket write on a busy host is a system call that also wakes the database's backend.
 * Once its statements are prepared on the connection, a pipeline ends with one Sync, so the
 * database answers it in one flush (one ReadyForQuery), and a failure stops the statements
 * after it.
 */
import assert from 'node:assert/strict';
import type { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { clientConfig, Session } from '../../src/store/postgres/connection.ts';
import { Statements } from '../../src/store/postgres/statements.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import {
  createTestDatabase,
  PG_ADMIN_URL,
  pgAvailable,
  type TestDatabase,
} from '../support/postgres.ts';

const available = await pgAvailable();

/** Counts the chunks a writable stream hands to its socket (`_write` or `_writev` calls). */
function countWrites(stream: Writable): { writes: number } {
  const seen = { writes: 0 };
  const inner = stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  for (const method of ['_write', '_writev'] as const) {
    const original = inner[method];
    if (typeof original !== 'function') continue;
    inner[method] = function (this: unknown, ...args: unknown[]) {
      seen.writes += 1;
      return original.apply(this, args);
    };
  }
  return seen;
}

describe('PostgreSQL pipeline', { skip: 'skip' in available && available.skip }, () => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: PG_ADMIN_URL, pipeline: true } as pg.ClientConfig);
    await client.connect();
  });
  after(() => client.end());

  it('sends a transaction of five statements in one socket write and reads every answer', async () => {
    const session = new Session(client as pg.PoolClient, Statements.load(), {
      queries: 0,
      roundTrips: 0,
    });
    const stream = (client as unknown as { connection: { stream: Writable } }).connection.stream;
    const counter = countWrites(stream);
    await session
      .pipeline()
      .begin()
      .control('SET LOCAL synchronous_commit = off')
      .control('SET LOCAL enable_seqscan = off')
      .control('SET LOCAL enable_bitmapscan = off')
      .commit()
      .send();
    assert.equal(counter.writes, 1);
    assert.deepEqual(session.stats, { queries: 5, roundTrips: 1 });
    const { rows } = await client.query('SHOW synchronous_commit');
    assert.equal(rows[0].synchronous_commit, 'on', 'SET LOCAL ended with its transaction');
  });
});

/** Counts the ReadyForQuery messages a client's connection receives: one per Sync sent. */
function countReady(client: pg.Client): { ready: number } {
  const seen = { ready: 0 };
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('readyForQuery', () => {
    seen.ready += 1;
  });
  return seen;
}

describe('PostgreSQL pipeline of prepared statements', {
  skip: 'skip' in available && available.skip,
}, () => {
  let db: TestDatabase;
  let client: pg.Client;
  let session: Session;
  before(async () => {
    db = await createTestDatabase();
    const store = new PostgresStore({ url: db.url });
    await store.open(); // the schema
    await store.close();
    // The store's client settings: bigint read as a number.
    const settings = { url: db.url, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 };
    client = new pg.Client({
      ...clientConfig(settings, 'test'),
      pipeline: true,
    } as pg.ClientConfig);
    await client.connect();
    session = new Session(client as pg.PoolClient, Statements.load(), {
      queries: 0,
      roundTrips: 0,
    });
  });
  after(async () => {
    await client.end();
    await db.drop();
  });

  /** A transaction that declares types `names` and reads them back, and the task-get of 0. */
  async function declareAndList(names: string[]) {
    const p = session.pipeline().begin();
    p.run('types-declare', [names, 1]);
    const types = p.run<{ name: string }>('types-list', []);
    const task = p.run<unknown[]>('task-get', [0]);
    const max = p.run<{ id: number }>('task-max-id', []);
    await p.commit().send();
    return { types: types.rows.map((r) => r.name), task: task.rows, max: max.rows };
  }

  it('answers a pipeline with one ReadyForQuery once its statements are prepared', async () => {
    const ready = countReady(client);
    const first = await declareAndList(['a']);
    assert.equal(ready.ready, 6, 'the first pipeline prepares: a Sync after each statement');
    assert.deepEqual(first, { types: ['a'], task: [], max: [{ id: 0 }] });

    ready.ready = 0;
    const second = await declareAndList(['b']);
    assert.equal(ready.ready, 1, 'prepared: one Sync for the whole pipeline');
    // Rows read alike: objects by column name, bigint as a number, array rows by position.
    assert.deepEqual(second, { types: ['a', 'b'], task: [], max: [{ id: 0 }] });
  });

  it('stops at a failing statement: the rest does not run and the send rejects with its error', async () => {
    await declareAndList(['warm']); // everything below prepared
    const ready = countReady(client);
    const p = session.pipeline().begin();
    p.run('types-declare', [['never'], 1]);
    p.run('task-get', ['not a number']); // invalid input syntax for type bigint
    const after = p.run<{ name: string }>('types-list', []);
    await assert.rejects(p.commit().send(), (err: Error & { code?: string }) => {
      assert.equal(err.code, '22P02');
      return true;
    });
    assert.deepEqual(after.rows, [], 'the statements after the failure returned nothing');
    // The transaction is left aborted (the store drops such a connection): roll it back here.
    await client.query('ROLLBACK');
    assert.equal(ready.ready, 2, 'one Sync for the pipeline, one for the ROLLBACK');
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM task_types WHERE name = 'never'",
    );
    assert.equal(rows[0].n, 0, 'nothing of the failed transaction was committed');
  });
});
