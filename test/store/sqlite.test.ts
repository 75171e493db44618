import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadSqlDir } from '../../src/store/sql-files.ts';
import { migrate } from '../../src/store/sqlite/migrate.ts';
import { LOST_WORKER } from '../../src/store/sqlite/recovery.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/store.ts';
import { emptyBatch, type Lease, type NewTask } from '../../src/store/types.ts';
import { storeContract } from './contract.ts';

const MIGRATIONS = new URL('../../src/store/sqlite/migrations/', import.meta.url);
const STATEMENTS = new URL('../../src/store/sqlite/sql/', import.meta.url);
const CRASH_CHILD = fileURLToPath(new URL('./fixtures/crash-holding-leases.ts', import.meta.url));
const T0 = 1_700_000_000_000;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'taskwire-sqlite-'));
}

async function openStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const store = new SqliteStore(opts);
  await store.open();
  return store;
}

function newTask(over: Partial<NewTask> = {}): NewTask {
  return { type: 'flip', data: { n: 1 }, reps: 1, maxAttempts: 3, ...over };
}

/** Runs `fn` with a fresh folder, deleted when it passes and kept when it fails. */
async function inTempDir(t: TestContext, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  await fn(dir).catch((err: unknown) => {
    t.diagnostic(`data kept for inspection: ${dir}`);
    throw err;
  });
  fs.rmSync(dir, { recursive: true, force: true });
}

storeContract('sqlite', async () => {
  const dir = tempDir();
  const store = await openStore({ path: path.join(dir, 'taskwire.db') });
  return {
    store,
    where: dir,
    async cleanup() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

/** Leases up to `limit` flip tasks to `worker` for one second. */
function claimFlips(store: SqliteStore, worker: string, limit: number, now: number) {
  return store.claim({ worker, types: ['flip'], limit, now, leaseMs: 1000 });
}
describe('SqliteStore', () => {
  it('uses WAL with synchronous=NORMAL by default', (t) =>
    inTempDir(t, async (dir) => {
      const store = await openStore({ path: path.join(dir, 'db') });
      try {
        assert.equal(store.pragma('journal_mode'), 'wal');
        assert.equal(store.pragma('synchronous'), 1);
        assert.equal(store.pragma('busy_timeout'), 5000);
        assert.equal(store.pragma('wal_autocheckpoint'), 4000);
        assert.deepEqual(store.capabilities, {
          exclusive: true,
          claimsInWrite: true,
          claimsBesideWrites: false,
        });
      } finally {
        await store.close();
      }
    }));

  it('uses synchronous=FULL with fsync: true', (t) =>
    inTempDir(t, async (dir) => {
      const store = await openStore({ path: path.join(dir, 'db'), fsync: true });
      try {
        assert.equal(store.pragma('journal_mode'), 'wal');
        assert.equal(store.pragma('synchronous'), 2);
        // Claims and extensions commit unsynced (a lost lease loses no acknowledged work),
        // then the connection is back to FULL for the writes clients wait on.
        await store.write({ ...emptyBatch(T0), submits: [newTask()] });
        const [lease] = await claimFlips(store, 'w', 1, T0);
        assert.ok(lease);
        assert.equal(store.pragma('synchronous'), 2);
        assert.deepEqual(await store.extend([lease.token], T0 + 5000, T0), [true]);
        assert.equal(store.pragma('synchronous'), 2);
      } finally {
        await store.close();
      }
    }));

  it('a claim that leases exactly what was ready says there is no more', (t) =>
    inTempDir(t, async (dir) => {
      const store = await openStore({ path: path.join(dir, 'db') });
      try {
        const claim = (limit: number) => ({
          worker: 'w',
          types: ['flip'],
          limit,
          now: T0,
          leaseMs: 1000,
        });
        await store.write({ ...emptyBatch(T0), submits: [newTask(), newTask(), newTask()] });
        const first = await store.write({ ...emptyBatch(T0), claims: [claim(2)] });
        assert.equal(first.claims[0]?.leases.length, 2);
        assert.equal(first.claims[0]?.more, true);
        const second = await store.write({ ...emptyBatch(T0), claims: [claim(1)] });
        assert.equal(second.claims[0]?.leases.length, 1);
        assert.equal(second.claims[0]?.more, false);
      } finally {
        await store.close();
      }
    }));

  it('holds the file while open: a second store on it is refused until the first closes', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      const store = await openStore({ path: file });
      try {
        const second = new SqliteStore({ path: file, busyTimeoutMs: 50 });
        await assert.rejects(second.open(), { code: 'SQLITE_BUSY', message: /in use by another/ });
      } finally {
        await store.close();
      }
      const again = await openStore({ path: file });
      await again.close();
    }));

  it('applies migrations once; reopening changes nothing', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      const schema = () => {
        const db = new Database(file, { readonly: true });
        try {
          return {
            objects: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(),
            versions: db.prepare('SELECT version, name FROM schema_migrations').all(),
          };
        } finally {
          db.close();
        }
      };
      const first = await openStore({ path: file });
      await first.close();
      const before = schema();
      assert.deepEqual(before.versions, [
        { version: 1, name: '001_init' },
        { version: 2, name: '002_tallies' },
        { version: 3, name: '003_delayed_index' },
        { version: 4, name: '004_attempts' },
        { version: 5, name: '005_task_types' },
        { version: 6, name: '006_scheduling' },
        { version: 8, name: '008_task_lists' },
        { version: 9, name: '009_retention' },
        { version: 10, name: '010_operator' },
        { version: 11, name: '011_list_by_id' },
      ]);
      const second = await openStore({ path: file });
      await second.close();
      assert.deepEqual(schema(), before);

      const db = new Database(file);
      try {
        assert.deepEqual(migrate(db, loadSqlDir(MIGRATIONS)), []);
      } finally {
        db.close();
      }
    }));

  it('migrate applies every pending migration in version order', () => {
    const db = new Database(':memory:');
    try {
      const files = new Map([
        ['002_more', 'CREATE TABLE b (x INTEGER)'],
        ['001_first', 'CREATE TABLE a (x INTEGER)'],
      ]);
      assert.deepEqual(migrate(db, files), [1, 2]);
      assert.deepEqual(migrate(db, files), []);
      files.set('003_again', 'CREATE TABLE c (x INTEGER)');
      assert.deepEqual(migrate(db, files), [3]);
      // A failing migration leaves neither its version row nor any of its changes.
      files.set('004_broken', 'CREATE TABLE d (x INTEGER); CREATE TABLE a (x INTEGER);');
      assert.throws(() => migrate(db, files), /already exists/);
      assert.deepEqual(
        db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
        [1, 2, 3],
      );
      assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'd'").get(), undefined);
      assert.throws(() => migrate(db, new Map([['init', '']])), /001_name/);
    } finally {
      db.close();
    }
  });

  it('upgrades a database made by 001 alone, keeping its tasks and attempts, releasing its active lease', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      const init = loadSqlDir(MIGRATIONS).get('001_init');
      assert.ok(init);
      const old = new Database(file);
      let ids: number[];
      try {
        assert.deepEqual(migrate(old, new Map([['001_init', init]])), [1]);
        // Tasks as taskwire before tallies wrote them (task-insert writes the same columns).
        const insert = old.prepare(loadSqlDir(STATEMENTS).get('task-insert')!);
        ids = [{ keep: 1 }, { keep: 2 }].map((data) =>
          Number(insert.run(null, 'flip', JSON.stringify(data), 2, 3, T0, T0, T0).lastInsertRowid),
        );
        old
          .prepare(
            `INSERT INTO leases (task_id, n, worker, state, deadline, started_at, ended_at, units)
             VALUES (?, 1, 'w-old', 'done', ?, ?, ?, 1)`,
          )
          .run(ids[0], T0 + 1000, T0, T0 + 1);
        old
          .prepare('UPDATE tasks SET units_done = 1, attempts = 1, status = ? WHERE id = ?')
          .run('processing', ids[0]);
        // A lease the old server still held when it stopped (token 2).
        old
          .prepare(
            `INSERT INTO leases (task_id, n, worker, state, deadline, started_at)
             VALUES (?, 1, 'w-held', 'active', ?, ?)`,
          )
          .run(ids[1], T0 + 1000, T0);
        old
          .prepare(
            "UPDATE tasks SET units_leased = 1, attempts = 1, status = 'processing' WHERE id = ?",
          )
          .run(ids[1]);
      } finally {
        old.close();
      }

      // The store holds the file's lock while open: the upgrade is inspected after a close.
      await (await openStore({ path: file })).close();
      const db = new Database(file, { readonly: true });
      try {
        assert.deepEqual(
          db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
          [1, 2, 3, 4, 5, 6, 8, 9, 10, 11],
        );
        // 011: the list walks the rowid; the index on (created_at, id) is gone.
        assert.deepEqual(
          db
            .prepare(
              "SELECT name FROM sqlite_master WHERE name IN ('tasks_created', 'tasks_failed')",
            )
            .pluck()
            .all(),
          ['tasks_failed'],
        );
        assert.deepEqual(db.prepare('SELECT tally_id FROM tasks ORDER BY id').pluck().all(), [
          null,
          null,
        ]);
      } finally {
        db.close();
      }
      const store = await openStore({ path: file });
      try {
        assert.deepEqual(await store.taskTypes(), ['flip'], 'the types of stored tasks are kept');
        const first = await store.get(ids[0]!, true);
        assert.deepEqual(first?.data, { keep: 1 });
        assert.equal(first?.unitsDone, 1);
        assert.equal(first?.attemptLog?.[0]?.worker, 'w-old');
        const second = await store.get(ids[1]!, true);
        assert.deepEqual(second?.data, { keep: 2 });
        assert.equal(second?.status, 'enqueued', 'the held lease went back to the queue');
        assert.equal(second?.unitsLeased, 0);
        assert.deepEqual(
          second?.attemptLog?.map((a) => [a.n, a.token, a.worker, a.state]),
          [[1, 2, 'w-held', 'released']],
        );
        assert.equal(await store.tally({}), undefined);

        const { id } = await store.createTally({ keys: 2, reps: 1, maxAttempts: 1 }, T0 + 5);
        const leases = await store.claim({
          worker: 'w-new',
          types: ['flip', 'tally'],
          limit: 10,
          now: T0 + 6,
          leaseMs: 1000,
        });
        assert.deepEqual(
          leases.map((l) => l.data),
          [{ keep: 1 }, { keep: 2 }, { tally: id, key: 0 }, { tally: id, key: 1 }],
        );
        assert.ok(leases[0]!.token > 2, 'new tokens start above the old ones');
        await store.write({
          ...emptyBatch(T0 + 7),
          completions: leases.map((l) => ({ token: l.token, result: null, units: 1 })),
        });
        const summary = await store.tally({ id });
        assert.equal(summary?.keysDone, 2);
        assert.equal(summary?.unitsTotal, 2, 'the old tasks are not in the tally');
        assert.deepEqual(summary?.workers, ['w-new']);
      } finally {
        await store.close();
      }
    }));

  it('creates a 100,000-key tally in one transaction, in key order', (t) =>
    inTempDir(t, async (dir) => {
      const store = await openStore({ path: path.join(dir, 'db') });
      try {
        let started = performance.now();
        const small = await store.createTally({ keys: 1000, reps: 1, maxAttempts: 1 }, T0);
        t.diagnostic(`1,000 keys: ${(performance.now() - started).toFixed(1)} ms`);
        started = performance.now();
        const { id } = await store.createTally({ keys: 100_000, reps: 3, maxAttempts: 1 }, T0);
        t.diagnostic(`100,000 keys: ${(performance.now() - started).toFixed(1)} ms`);
        assert.equal((await store.counts()).enqueued, 101_000);
        const leases = await store.claim({
          worker: 'w1',
          types: ['tally'],
          limit: 101_000,
          now: T0,
          leaseMs: 1000,
        });
        assert.equal(leases.length, 101_000);
        const expected = [
          ...Array.from({ length: 1000 }, (_, key) => ({ tally: small.id, key })),
          ...Array.from({ length: 100_000 }, (_, key) => ({ tally: id, key })),
        ];
        assert.deepEqual(
          leases.map((l) => l.data),
          expected,
        );
        started = performance.now();
        const summary = await store.tally({ id });
        t.diagnostic(`summary of 100,000 keys: ${(performance.now() - started).toFixed(1)} ms`);
        assert.equal(summary?.keys, 100_000);
        assert.equal(summary?.keysDone, 0);
        await assert.rejects(
          store.createTally({ keys: 0, reps: 1, maxAttempts: 1 }, T0),
          RangeError,
        );
        assert.equal((await store.counts()).processing, 101_000, 'nothing inserted');
      } finally {
        await store.close();
      }
    }));

  it('refuses a database migrated by a newer taskwire', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      await (await openStore({ path: file })).close();
      const db = new Database(file);
      db.prepare("INSERT INTO schema_migrations VALUES (999, '999_future', 0)").run();
      db.close();
      await assert.rejects(openStore({ path: file }), /newer than this taskwire knows/);
    }));

  it('keeps tasks and results across close and reopen; close releases the active leases', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      const store = await openStore({ path: file });
      const ids = (
        await store.write({
          ...emptyBatch(T0),
          submits: [newTask({ data: { keep: true } }), newTask({ reps: 2 }), newTask()],
        })
      ).ids;
      const [l1, l2] = await claimFlips(store, 'w1', 2, T0 + 1);
      await store.write({
        ...emptyBatch(T0 + 2),
        completions: [{ token: l1!.token, result: { ok: 1 }, units: 1 }],
      });
      const before = await Promise.all(ids.map((id) => store.get(id, true)));
      await store.close();

      const reopened = await openStore({ path: file });
      try {
        const after = await Promise.all(ids.map((id) => reopened.get(id, true)));
        assert.deepEqual(after[0], before[0], 'a done task is as it was');
        assert.deepEqual(after[2], before[2], 'an enqueued task is as it was');
        // The lease held at close was released by it: its attempt is written, its unit back.
        const { attemptLog, ...task } = after[1]!;
        const { attemptLog: _, ...held } = before[1]!;
        assert.deepEqual(task, {
          ...held,
          status: 'enqueued',
          unitsLeased: 0,
          updatedAt: task.updatedAt,
        });
        assert.deepEqual(
          attemptLog?.map((a) => [a.token, a.worker, a.state]),
          [[l2!.token, 'w1', 'released']],
        );
        assert.equal(await reopened.releaseAll(T0 + 3), 0, 'nothing was left to recover');
        const stale = await reopened.write({
          ...emptyBatch(T0 + 3),
          completions: [{ token: l2!.token, result: 1, units: 1 }],
        });
        assert.deepEqual(stale.completions, [undefined], 'the released token is stale');
        const again = await claimFlips(reopened, 'w2', 5, T0 + 3);
        assert.deepEqual(
          again.map((l) => l.taskId),
          [ids[1], ids[2]],
        );
        assert.ok(again[0]!.token > l2!.token, 'tokens keep ascending');
        const [next] = (await reopened.write({ ...emptyBatch(T0 + 4), submits: [newTask()] })).ids;
        assert.ok(next! > ids[2]!, 'ids keep ascending');
      } finally {
        await reopened.close();
      }
    }));

  it('a close that cannot write the release of its leases (full disk) says so, and the next open takes them back', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      const store = await openStore({ path: file, maxPageCount: 48 });
      const ids = (
        await store.write({ ...emptyBatch(T0), submits: [newTask(), newTask(), newTask()] })
      ).ids;
      // Each released attempt row carries its worker's name: 3 × 6,000 bytes do not fit in
      // the pages left once the file is filled up to its limit below.
      const worker = 'w'.repeat(6000);
      const leases = await claimFlips(store, worker, 3, T0);
      assert.equal(leases.length, 3);
      for (let i = 0; ; i++) {
        const big = { ...emptyBatch(T0 + 1), submits: [newTask({ data: 'x'.repeat(1500) })] };
        try {
          await store.write(big);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'SQLITE_FULL');
          break;
        }
        assert.ok(i < 200, 'the file never filled up');
      }
      await assert.rejects(store.close(), (err: unknown) => {
        assert.equal((err as { code?: string }).code, 'SQLITE_FULL');
        assert.match((err as Error).message, /release of 3 active lease\(s\) could not be written/);
        return true;
      });
      await assert.rejects(store.counts(), /not open/, 'the store is closed all the same');

      const reopened = await openStore({ path: file });
      try {
        assert.equal(await reopened.releaseAll(T0 + 2), 3, 'the three leases are taken back');
        const again = await claimFlips(reopened, 'w2', 5, T0 + 3);
        assert.deepEqual(again.map((l) => l.taskId).slice(0, 3), ids);
        assert.ok(again[0]!.token > leases[2]!.token, 'the lost tokens stay fenced');
      } finally {
        await reopened.close();
      }
    }));

  it('after a crash, open takes back the leases the lost process held, and fences its tokens', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      const child = spawn(process.execPath, ['--import', 'tsx', CRASH_CHILD, file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const [code, signal] = await exited;
      assert.equal(signal, 'SIGKILL', `the child exited with ${code}`);
      const held = JSON.parse(out) as Lease[];
      // Four tasks, one of them of 2 units: five leases, the first completed before the crash.
      assert.equal(held.length, 5);

      const store = await openStore({ path: file });
      try {
        assert.equal(await store.releaseAll(T0 + 10), 4, 'the four units still leased');
        assert.equal(await store.releaseAll(T0 + 11), 0);
        const tasks = await Promise.all(held.slice(0, 4).map((l) => store.get(l.taskId, true)));
        assert.deepEqual(
          tasks.map((task) => [task?.status, task?.unitsLeased]),
          [
            ['done', 0],
            ['enqueued', 0],
            ['enqueued', 0],
            ['enqueued', 0],
          ],
        );
        const log = tasks[2]!.attemptLog!;
        assert.deepEqual(
          log.map((a) => [a.n, a.worker, a.state]),
          [
            [1, LOST_WORKER, 'released'],
            [2, LOST_WORKER, 'released'],
          ],
        );
        const handedOut = Math.max(...held.map((l) => l.token));
        assert.ok(
          log.every((a) => a.token > handedOut),
          'a lost attempt is written under a token nobody holds',
        );
        const stale = await store.write({
          ...emptyBatch(T0 + 12),
          completions: held.slice(1).map((l) => ({ token: l.token, result: 1, units: 1 })),
        });
        assert.deepEqual(stale.completions, [undefined, undefined, undefined, undefined]);
        const again = await claimFlips(store, 'w3', 10, T0 + 12);
        assert.deepEqual(
          again.map((l) => [l.taskId, l.attempt]),
          [
            [held[1]!.taskId, 2],
            [held[2]!.taskId, 3],
            [held[3]!.taskId, 2],
          ],
        );
        const newest = Math.max(...tasks.flatMap((task) => task!.attemptLog!.map((a) => a.token)));
        assert.ok(again[0]!.token > newest, 'tokens after the crash are new ones');
      } finally {
        await store.close();
      }
    }));

  it('close is safe twice; a closed store rejects calls', (t) =>
    inTempDir(t, async (dir) => {
      const store = await openStore({ path: path.join(dir, 'db') });
      await store.close();
      await store.close();
      await assert.rejects(store.counts(), /not open/);
      await assert.rejects(store.write(emptyBatch(T0)), /not open/);
    }));

  it('claims, reclaims, schedules and sums tallies through indexes, not table scans', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, loadSqlDir(MIGRATIONS));
      const sql = loadSqlDir(STATEMENTS);
      const plan = (name: string, params: Record<string, unknown> | unknown[]) =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql.get(name)}`)
          .all(...(Array.isArray(params) ? params : [params]))
          .map((row) => (row as { detail: string }).detail)
          .join('; ');
      const claimPlan = plan('claim-candidates', ['a', 0, 1]);
      assert.match(claimPlan, /USING INDEX tasks_claim/);
      assert.doesNotMatch(claimPlan, /TEMP B-TREE/);
      const byIds = plan('tasks-lease', { ids: '[1, 2]', now: 0 });
      assert.match(byIds, /SEARCH tasks USING INTEGER PRIMARY KEY/);
      assert.doesNotMatch(byIds, /SCAN tasks/);
      assert.match(plan('next-run-at', { now: 0 }), /tasks_delayed.*tasks_scheduled/);
      assert.match(
        plan('tasks-enqueue-due', { now: 0, limit: 1 }),
        /USING COVERING INDEX tasks_scheduled/,
      );
      assert.match(plan('task-by-key', ['flip', 'k']), /USING INDEX tasks_key/);
      assert.doesNotMatch(plan('schedules-due', { now: 0, limit: 1 }), /SCAN schedules/);
      assert.match(plan('attempts-of-task', { taskId: 1 }), /SEARCH attempts USING PRIMARY KEY/);
      const summaryPlan = plan('tally-summary', { id: 1 });
      assert.match(summaryPlan, /SEARCH y USING INTEGER PRIMARY KEY/);
      assert.match(summaryPlan, /SEARCH t USING INDEX tasks_tally/);
      const workersPlan = plan('tally-workers', { id: 1 });
      assert.match(workersPlan, /SEARCH t USING COVERING INDEX tasks_tally/);
      assert.match(workersPlan, /SEARCH a USING PRIMARY KEY/);
      assert.doesNotMatch(`${summaryPlan}; ${workersPlan}`, /SCAN/);
      assert.match(
        plan('tally-by-name', { name: 'a' }),
        /USING COVERING INDEX sqlite_autoindex_tallies/,
      );
      // Retention reads finished tasks through the partial index, in its order (no sort),
      // and deletes by primary key.
      const scanPlan = plan('prune-scan', { finishedAt: 0, id: 0, before: 1, limit: 10 });
      assert.match(scanPlan, /SEARCH tasks USING INDEX tasks_finished/);
      assert.doesNotMatch(scanPlan, /TEMP B-TREE/);
      assert.match(plan('prune-tasks', { ids: '[1]' }), /SEARCH tasks USING INTEGER PRIMARY KEY/);
      assert.match(plan('prune-attempts', { ids: '[1]' }), /SEARCH attempts USING PRIMARY KEY/);
      assert.match(plan('prune-tally-age', { id: 1 }), /USING INDEX tasks_tally/);
    } finally {
      db.close();
    }
  });

  it('a write past a full disk rejects, keeps nothing of its batch, and leaves the store usable', (t) =>
    inTempDir(t, async (dir) => {
      const file = path.join(dir, 'db');
      // 48 pages of 4 KiB: room for the schema and a few small tasks, not for 400 KiB more.
      const store = await openStore({ path: file, maxPageCount: 48 });
      try {
        const kept = (
          await store.write({
            ...emptyBatch(T0),
            submits: Array.from({ length: 20 }, (_, i) => newTask({ data: { i } })),
          })
        ).ids;
        const [lease] = await claimFlips(store, 'w1', 1, T0);
        const counts = await store.counts();
        const before = await Promise.all(kept.map((id) => store.get(id, true)));

        const big = 'x'.repeat(2048);
        await assert.rejects(
          store.write({
            ...emptyBatch(T0 + 1),
            submits: Array.from({ length: 200 }, () => newTask({ data: big })),
            completions: [{ token: lease!.token, result: 'done', units: 1 }],
          }),
          (err: unknown) => (err as { code?: string }).code === 'SQLITE_FULL',
        );
        // A completion whose result does not fit: the lease it ended (in memory) is back.
        await assert.rejects(
          store.write({
            ...emptyBatch(T0 + 1),
            submits: [newTask()],
            completions: [{ token: lease!.token, result: 'x'.repeat(400_000), units: 1 }],
          }),
          (err: unknown) => (err as { code?: string }).code === 'SQLITE_FULL',
        );

        assert.deepEqual(await store.counts(), counts, 'no task of the batch was kept');
        assert.deepEqual(await Promise.all(kept.map((id) => store.get(id, true))), before);
        assert.equal((await store.get(kept[0]!))?.status, 'processing', 'completion undone');
        assert.equal(await store.nextRunAt(T0), undefined);

        // Small writes fit again: the failed batch released every page it took.
        const out = await store.write({
          ...emptyBatch(T0 + 2),
          submits: [newTask()],
          completions: [{ token: lease!.token, result: 'done', units: 1 }],
        });
        assert.equal(out.completions[0]?.status, 'done');
        assert.ok(out.ids[0]! > kept.at(-1)!);
      } finally {
        await store.close();
      }
      const reopened = await openStore({ path: file });
      try {
        assert.equal((await reopened.counts()).enqueued, 20);
      } finally {
        await reopened.close();
      }
    }));
});
