/**
 * The task list reads an index at 100,000 tasks, on both stores: the plans of its statements
 * (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL, generic plans as the store's prepared
 * statements use them) walk the table's key (SQLite's rowid, PostgreSQL's primary key) or
 * tasks_failed, never the whole table, a time range's ids are found by seeks of that key, and
 * a page deep in the list, or in a time range, comes back like the first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { emptyBatch, type NewTask, type Store } from '../../src/store/types.ts';
import { createTestDatabase, pgAvailable, withAdmin } from '../support/postgres.ts';
import { tempDir } from '../support/server.ts';

const TASKS = 100_000;
const T0 = 1_700_000_000_000;

/** 100,000 tasks, 1,000 a batch, each batch a second later; every 1,000th fails. */
async function fill(store: Store): Promise<void> {
  for (let b = 0; b < TASKS / 1000; b++) {
    const submits: NewTask[] = Array.from({ length: 1000 }, (_, i) => ({
      type: i % 2 ? 'flip' : 'resize',
      data: { n: b * 1000 + i, text: i === 7 ? 'needle' : 'hay' },
      reps: 1,
      maxAttempts: 1,
    }));
    await store.write({ ...emptyBatch(T0 + b * 1000), submits });
  }
  const leases = await store.claim({
    worker: 'w',
    types: ['resize'],
    limit: 100,
    now: T0,
    leaseMs: 1e6,
  });
  await store.write({
    ...emptyBatch(T0 + 100_000),
    failures: leases.map((l) => ({ token: l.token, error: 'timeout', retryAt: 0 })),
  });
}

/** Pages deep into the list: page 500 (of 100 tasks each) reads as page 1 does. */
async function deepPages(store: Store): Promise<void> {
  let page = await store.listTasks({ limit: 100, scan: 1000 });
  assert.equal(page.tasks.length, 100);
  for (let i = 1; i < 500; i++)
    page = await store.listTasks({ limit: 100, scan: 1000, before: page.next! });
  assert.equal(page.tasks.length, 100);
  assert.equal(page.tasks.at(-1)?.createdAt, T0 + 50_000, 'half way down the list');
  const failed = await store.listTasks({ statuses: ['failed'], limit: 100, scan: 1000 });
  assert.equal(failed.tasks.length, 100);
  assert.ok(failed.tasks.every((t) => t.status === 'failed' && t.error === 'timeout'));
  // A second deep in the table: its ids are found by bisection, and its page is the first
  // window's (the margin's seconds on either side are passed over in the same statement).
  const ranged = await store.listTasks({
    from: T0 + 30_000,
    to: T0 + 31_000,
    limit: 100,
    scan: 1000,
  });
  assert.equal(ranged.tasks.length, 100);
  assert.ok(ranged.tasks.every((t) => t.createdAt === T0 + 30_000));
  const needles = await store.listTasks({ q: 'needle', limit: 100, scan: 5000 });
  assert.equal(needles.tasks.length, 5, 'a sparse search reads its window only');
  assert.ok(needles.next, 'and says where to go on');
}

const sql = (dir: string, name: string) =>
  readFileSync(new URL(`../../src/store/${dir}/sql/${name}.sql`, import.meta.url), 'utf8');

describe('task list plans at 100,000 tasks', () => {
  it('SQLite: EXPLAIN QUERY PLAN walks the rowid / tasks_failed', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'big.db');
    const store = new SqliteStore({ path });
    await store.open();
    await fill(store);
    await deepPages(store);
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (name: string, ...params: unknown[]) =>
      (
        db.prepare(`EXPLAIN QUERY PLAN ${sql('sqlite', name)}`).all(...params) as {
          detail: string;
        }[]
      )
        .map((r) => r.detail)
        .join('\n');
    const params = { below: 50_000, atLeast: 1_000, scan: 1000 };
    const filters = {
      from: 0,
      to: T0 + 99_000,
      type: 'flip',
      statuses: '["done","failed"]',
      q: 'x',
    };
    const list = plan('task-list', { ...params, ...filters, limit: 100 });
    assert.match(list, /SEARCH tasks USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/, list);
    assert.doesNotMatch(list, /SCAN tasks(?! USING)/, list);
    assert.doesNotMatch(list, /TEMP B-TREE/, `no sort: ${list}`);
    const failed = plan('task-list-failed', { ...params, ...filters, limit: 100 });
    assert.match(failed, /USING INDEX tasks_failed/);
    assert.doesNotMatch(failed, /SCAN tasks(?! USING)|TEMP B-TREE/, failed);
    assert.match(
      plan('task-list-end', { ...params, from: 0, to: T0 }),
      /USING INTEGER PRIMARY KEY/,
    );
    assert.match(
      plan('task-list-failed-end', { ...params, from: 0, to: T0 }),
      /USING (COVERING )?INDEX tasks_failed/,
    );
    const idAt = plan('task-id-at', { at: T0 + 30_000 });
    assert.doesNotMatch(idAt, /SCAN tasks(?! USING)/, idAt);
    assert.match(plan('oldest-ready', 'flip', T0), /USING INDEX tasks_claim/);
    db.close();
    tmp.remove();
  });

  it('PostgreSQL: EXPLAIN of the generic plans walks the primary key / tasks_failed', async (t) => {
    const available = await pgAvailable();
    if ('skip' in available) return t.skip(available.skip);
    const db = await createTestDatabase();
    after(() => db.drop());
    const schema = await db.schema();
    const store = new PostgresStore({ url: schema.url, poolSize: 2 });
    await store.open();
    try {
      await fill(store);
      await deepPages(store);
    } finally {
      await store.close();
    }
    await withAdmin(schema.url, async (c) => {
      await c.query('ANALYZE tasks');
      await c.query('SET plan_cache_mode = force_generic_plan');
      const explain = async (name: string, values: unknown[]) => {
        await c.query(`PREPARE p AS ${sql('postgres', name)}`);
        const literal = (v: unknown): string =>
          Array.isArray(v) ? `ARRAY[${v.map(literal).join(', ')}]` : c.escapeLiteral(String(v));
        const { rows } = await c.query(`EXPLAIN EXECUTE p(${values.map(literal).join(', ')})`);
        await c.query('DEALLOCATE p');
        return rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
      };
      const cursor = [50_000, 1_000, 0, T0 + 99_000];
      const filters = ['flip', ['done', 'failed'], 'x', 1000, 100];
      const list = await explain('task-list', [...cursor, ...filters]);
      assert.match(list, /Index Scan Backward using tasks_pkey/, list);
      assert.doesNotMatch(list, /Seq Scan|Sort/, list);
      const failed = await explain('task-list-failed', [...cursor, ...filters]);
      assert.match(failed, /Index Scan Backward using tasks_failed/, failed);
      assert.doesNotMatch(failed, /Seq Scan|Sort/, failed);
      for (const name of ['task-list-end', 'task-list-failed-end']) {
        const end = await explain(name, [...cursor, 1000]);
        assert.match(end, /Index (Only )?Scan Backward using tasks_(pkey|failed)/, end);
        assert.doesNotMatch(end, /Seq Scan/, end);
      }
      const idAt = await explain('task-id-at', [T0 + 30_000]);
      assert.doesNotMatch(idAt, /Seq Scan/, idAt);
      const oldest = await explain('oldest-ready', [['flip', 'resize'], T0]);
      assert.match(oldest, /tasks_claim/, oldest);
    });
  });
});
