/**
 * A pipeline's statements leave in one write to PostgreSQL's socket, not one per statement:
 * each socket write on a busy host is a system call that also wakes the database's backend.
 */
import assert from 'node:assert/strict';
import type { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Session } from '../../src/store/postgres/connection.ts';
import { Statements } from '../../src/store/postgres/statements.ts';
import { PG_ADMIN_URL, pgAvailable } from '../support/postgres.ts';

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
