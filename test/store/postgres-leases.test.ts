/**
 * Where the PostgreSQL store keeps leases (migration 008): a single-unit task's lease on its
 * own row, so a task that succeeds at its first attempt writes no row of `leases`; every
 * other attempt, and every attempt of a multi-unit task, is a row of `leases`; and a lease
 * row written before the migration (a single-unit task leased by an older server) still
 * completes, extends and expires.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { StoreEvent } from '../../src/store/types.ts';
import { createTestDatabase, pgAvailable, withAdmin } from '../support/postgres.ts';
import {
  claim,
  claimOne,
  complete,
  fail,
  LEASE_MS,
  newTask,
  submit,
  T0,
  write,
} from './contract/helpers.ts';

const available = await pgAvailable();

async function leaseRows(url: string): Promise<{ task_id: number; state: string }[]> {
  return withAdmin(url, async (c) => {
    const { rows } = await c.query('SELECT task_id, state FROM leases ORDER BY token');
    return rows.map((r) => ({ task_id: Number(r.task_id), state: r.state as string }));
  });
}

if ('skip' in available) {
  describe('PostgreSQL leases', { skip: available.skip }, () => {
    it('needs PostgreSQL', () => {});
  });
} else {
  const db = await createTestDatabase();
  after(async () => {
    console.log(await db.drop());
  });

  async function withStore(fn: (store: PostgresStore, url: string) => Promise<void>) {
    const schema = await db.schema();
    const store = new PostgresStore({ url: schema.url, poolSize: 2 });
    await store.open();
    try {
      await fn(store, schema.url);
    } finally {
      await store.close();
    }
    await schema.drop();
  }

  describe('PostgreSQL leases', () => {
    it('a single-unit task done at its first attempt writes no lease row', () =>
      withStore(async (store, url) => {
        const ids = await submit(store, T0, ...Array.from({ length: 5 }, () => newTask()));
        const leases = await claim(store, T0 + 1, { limit: 5 });
        assert.equal(leases.length, 5);
        const tokens = leases.map((l) => l.token);
        assert.deepEqual(
          tokens,
          [...tokens].sort((a, b) => a - b),
          'tokens ascend in claim order',
        );
        assert.deepEqual(await leaseRows(url), [], 'active leases are on the task rows');
        for (const l of leases) await complete(store, T0 + 2, l.token, l.taskId);
        assert.deepEqual(await leaseRows(url), [], 'the succeeding attempts stay on the rows');
        const task = await store.get(ids[0]!, true);
        assert.equal(task?.status, 'done');
        assert.deepEqual(
          task?.attemptLog?.map((a) => [a.token, a.state, a.units, a.endedAt]),
          [[leases[0]!.token, 'done', 1, T0 + 2]],
        );
        // A late second report of the same attempt is stale.
        assert.equal(await complete(store, T0 + 3, leases[0]!.token, 'again'), undefined);
        assert.equal((await store.get(ids[0]!))?.result, ids[0]);
      }));

    it('an attempt that does not finish its task is written to leases when it ends', () =>
      withStore(async (store, url) => {
        const [id] = await submit(store, T0, newTask({ maxAttempts: 3 }));
        const first = await claimOne(store, T0 + 1, 'w1');
        await fail(store, T0 + 2, first.token, 'boom', T0 + 2);
        assert.deepEqual(await leaseRows(url), [{ task_id: id, state: 'failed' }]);
        const second = await claimOne(store, T0 + 3, 'w2');
        assert.ok(second.token > first.token, 'a new token for the new attempt');
        assert.equal(await complete(store, T0 + 4, first.token, 'stale'), undefined);
        assert.equal((await complete(store, T0 + 5, second.token, 'ok'))?.status, 'done');
        assert.deepEqual(await leaseRows(url), [{ task_id: id, state: 'failed' }]);
        const log = (await store.get(id!, true))?.attemptLog;
        assert.deepEqual(
          log?.map((a) => [a.n, a.worker, a.state]),
          [
            [1, 'w1', 'failed'],
            [2, 'w2', 'done'],
          ],
        );
      }));

    it('a multi-unit task keeps a lease row per attempt', () =>
      withStore(async (store, url) => {
        const [id] = await submit(store, T0, newTask({ reps: 2 }));
        // One unit of a task per claim.
        const leases = [await claimOne(store, T0 + 1, 'w1'), await claimOne(store, T0 + 1, 'w2')];
        assert.deepEqual(await leaseRows(url), [
          { task_id: id, state: 'active' },
          { task_id: id, state: 'active' },
        ]);
        for (const l of leases) await complete(store, T0 + 2, l.token, null);
        assert.deepEqual(
          (await leaseRows(url)).map((r) => r.state),
          ['done', 'done'],
        );
        assert.equal((await store.get(id!))?.status, 'done');
      }));

    it('a lease row of a single-unit task from before the migration still works', () =>
      withStore(async (store, url) => {
        const [a, b] = await submit(store, T0, newTask(), newTask());
        // As a server before migration 008 leased them: a row of leases each.
        const tokens = await withAdmin(url, async (c) => {
          await c.query(
            `UPDATE tasks SET status = 'processing', ready = false, attempts = 1,
               units_leased = 1, started_at = $1, updated_at = $1 WHERE id = ANY ($2)`,
            [T0 + 1, [a, b]],
          );
          const { rows } = await c.query(
            `INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
             SELECT id, 1, 'old', 'active', $1::bigint, $2::bigint FROM unnest($3::bigint[]) AS id
             ORDER BY id RETURNING token`,
            [T0 + 1 + LEASE_MS, T0 + 1, [a, b]],
          );
          return rows.map((r) => Number(r.token));
        });
        assert.deepEqual(await store.extend(tokens, T0 + 10 + LEASE_MS, T0 + 10), [true, true]);
        assert.equal((await complete(store, T0 + 11, tokens[0]!, 'ok'))?.status, 'done');
        const expired = await store.reclaimExpired(T0 + 11 + LEASE_MS);
        assert.deepEqual(
          expired.map((e) => [e.taskId, e.worker]),
          [[b, 'old']],
        );
        assert.deepEqual(await leaseRows(url), [
          { task_id: a, state: 'done' },
          { task_id: b, state: 'expired' },
        ]);
        assert.equal((await store.get(b!))?.status, 'enqueued');
      }));

    it('a lease on a task row is extended, expires and is released like a row of leases', () =>
      withStore(async (store, url) => {
        const [a, b] = await submit(store, T0, newTask(), newTask());
        const [la, lb] = await claim(store, T0 + 1, { limit: 2 });
        assert.deepEqual(await store.extend([la!.token], T0 + 5 + 2 * LEASE_MS, T0 + 5), [true]);
        const expired = await store.reclaimExpired(T0 + 2 + LEASE_MS);
        assert.deepEqual(
          expired.map((e) => e.taskId),
          [lb!.taskId],
        );
        assert.deepEqual(await leaseRows(url), [{ task_id: b, state: 'expired' }]);
        assert.equal((await store.get(b!))?.status, 'enqueued');
        assert.equal((await store.get(a!))?.status, 'processing');
        assert.equal(await store.releaseAll(T0 + 3 + LEASE_MS), 1);
        // By token: a's lease was taken first.
        assert.deepEqual(await leaseRows(url), [
          { task_id: a, state: 'released' },
          { task_id: b, state: 'expired' },
        ]);
        assert.equal((await store.get(a!))?.status, 'enqueued');
      }));
    it('a cancel of a running task tells the other servers the token of the lease on its row', () =>
      withStore(async (store, url) => {
        const other = new PostgresStore({ url, poolSize: 1 });
        await other.open();
        try {
          const heard = new Promise<StoreEvent>((resolve) => {
            other.subscribe((e) => {
              if (e.kind === 'revoked') resolve(e);
            });
          });
          // The listener is up once the first `ready` has gone out; wait for that.
          await new Promise<void>((resolve) => {
            const off = other.subscribe((e) => {
              if (e.kind === 'ready') {
                off();
                resolve();
              }
            });
          });
          const [id] = await submit(store, T0, newTask());
          const lease = await claimOne(store, T0 + 1);
          const [out] = (await write(store, T0 + 2, { cancels: [id!] })).cancels;
          assert.ok(out?.ok);
          assert.deepEqual(out.revoked, [lease.token]);
          assert.deepEqual(await heard, { kind: 'revoked', tokens: [lease.token] });
        } finally {
          await other.close();
        }
      }));
  });
}
