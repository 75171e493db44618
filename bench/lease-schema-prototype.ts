/**
 * A measurement behind docs/benchmarks.md ("What would move it"): the store's statements
 * alone, per task, for the current schema (its own migrations and statement files) against
 * a lean prototype in which an active lease lives on its task's row and an attempt row is
 * written once, when the attempt ends. Each round is one transaction of K submits, one of a
 * claim of K, one of their K completions, as the committer batches them. Not product code:
 * the lean schema exists only here.
 *
 *   node --import tsx bench/lease-schema-prototype.ts [--sizes 4,32,128] [--tasks 48000]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Command, InvalidArgumentError } from 'commander';

const STORE = new URL('../src/store/sqlite/', import.meta.url);
const DATA = '"abcdefghijklmnop"';
const LEASE_MS = 30_000;

type Leased = { token: number; taskId: number; n: number };

interface Schema {
  submit(now: number, k: number): void;
  claim(now: number, k: number): Leased[];
  complete(now: number, leases: Leased[]): void;
}

const sql = (name: string) => readFileSync(new URL(`sql/${name}.sql`, STORE), 'utf8');

function open(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -32768');
  db.pragma('wal_autocheckpoint = 4000');
  return db;
}

/** taskwire's schema and statements, as the SQLite store runs them for a batch. */
function current(db: Database.Database): Schema {
  const migrations = new URL('migrations/', STORE);
  for (const f of readdirSync(migrations).sort())
    db.exec(readFileSync(new URL(f, migrations), 'utf8'));
  const insert = db.prepare(sql('task-insert'));
  const candidates = db.prepare(sql('claim-candidates')).raw();
  const leaseTasks = db.prepare(sql('tasks-lease'));
  const insertLeases = db.prepare(sql('leases-insert'));
  const leaseTask = db.prepare(sql('lease-task')).pluck();
  const leaseEnd = db.prepare(sql('lease-end'));
  const taskComplete = db.prepare(sql('task-complete'));
  const taskState = db.prepare(sql('task-state')).raw();
  return {
    submit: db.transaction((now: number, k: number) => {
      for (let i = 0; i < k; i++) insert.run('noop', DATA, 1, 3, now, now, now);
    }),
    claim: db.transaction((now: number, k: number) => {
      const rows = (candidates.all('noop', now, k + 1) as [number, ...unknown[]][]).slice(0, k);
      const ids = JSON.stringify(rows.map((r) => r[0]));
      leaseTasks.run({ ids, now });
      const r = insertLeases.run({ ids, worker: 'w', deadline: now + LEASE_MS, now });
      const first = Number(r.lastInsertRowid) - rows.length + 1;
      return rows.map((row, i) => ({ token: first + i, taskId: row[0], n: 1 }));
    }),
    complete: db.transaction((now: number, leases: Leased[]) => {
      for (const { token } of leases) {
        const id = leaseTask.get(token) as number;
        leaseEnd.run('done', now, 1, null, token);
        taskComplete.run({ id, units: 1, result: null, now });
        taskState.get(id);
      }
    }),
  };
}

/** The prototype: the active lease on the task's row; `log`: an attempt row when it ends. */
function lean(db: Database.Database, log: boolean): Schema {
  db.exec(`
    CREATE TABLE tasks (id INTEGER PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL,
      status TEXT NOT NULL, ready INTEGER NOT NULL, run_at INTEGER NOT NULL, reps INTEGER NOT NULL,
      units_done INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
      failures INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, result TEXT, error TEXT,
      created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
      updated_at INTEGER NOT NULL, lease_token INTEGER, lease_worker TEXT, lease_deadline INTEGER);
    CREATE INDEX tasks_claim ON tasks (type, id) WHERE ready = 1;
    CREATE INDEX tasks_lease ON tasks (lease_deadline) WHERE lease_deadline IS NOT NULL;
    CREATE TABLE attempts (token INTEGER PRIMARY KEY, task_id INTEGER NOT NULL,
      n INTEGER NOT NULL, worker TEXT NOT NULL, state TEXT NOT NULL,
      started_at INTEGER NOT NULL, ended_at INTEGER, error TEXT);
    CREATE INDEX attempts_task ON attempts (task_id, n);`);
  const insert = db.prepare(
    `INSERT INTO tasks (type, data, status, ready, reps, max_attempts, run_at, created_at, updated_at)
     VALUES (?, ?, 'enqueued', 1, ?, ?, ?, ?, ?)`,
  );
  const candidates = db
    .prepare(
      `SELECT id, attempts FROM tasks INDEXED BY tasks_claim
       WHERE ready = 1 AND type = ? AND run_at <= ? ORDER BY id LIMIT ? + 0`,
    )
    .raw();
  const lease = db.prepare(
    `UPDATE tasks SET attempts = attempts + 1, status = 'processing', ready = 0,
       started_at = coalesce(started_at, @now), updated_at = @now,
       lease_token = @first + leased.key, lease_worker = @worker, lease_deadline = @deadline
     FROM json_each(@ids) AS leased WHERE tasks.id = leased.value AND tasks.ready = 1`,
  );
  const done = db.prepare(
    `UPDATE tasks SET status = 'done', units_done = units_done + 1, result = ?, finished_at = ?,
       updated_at = ?, lease_token = NULL, lease_worker = NULL, lease_deadline = NULL
     WHERE id = ? AND lease_token = ?`,
  );
  const attempt = db.prepare(
    `INSERT INTO attempts (token, task_id, n, worker, state, started_at, ended_at)
     VALUES (?, ?, ?, ?, 'done', ?, ?)`,
  );
  let next = 1;
  return {
    submit: db.transaction((now: number, k: number) => {
      for (let i = 0; i < k; i++) insert.run('noop', DATA, 1, 3, now, now, now);
    }),
    claim: db.transaction((now: number, k: number) => {
      const rows = (candidates.all('noop', now, k + 1) as [number, number][]).slice(0, k);
      const first = next;
      next += rows.length;
      const ids = JSON.stringify(rows.map((r) => r[0]));
      lease.run({ ids, now, first, worker: 'w', deadline: now + LEASE_MS });
      return rows.map(([taskId, attempts], i) => ({ token: first + i, taskId, n: attempts + 1 }));
    }),
    complete: db.transaction((now: number, leases: Leased[]) => {
      for (const { token, taskId, n } of leases) {
        if (done.run(null, now, now, taskId, token).changes !== 1) throw new Error('stale lease');
        if (log) attempt.run(token, taskId, n, 'w', now, now);
      }
    }),
  };
}

/** µs per task of each phase, over `tasks` tasks in rounds of `k` (the first fifth unmeasured). */
function measure(schema: Schema, k: number, tasks: number) {
  const rounds = Math.max(5, Math.ceil(tasks / k));
  const warm = Math.floor(rounds / 5);
  const ns = [0n, 0n, 0n];
  for (let r = 0; r < rounds; r++) {
    const now = Date.now();
    const t0 = process.hrtime.bigint();
    schema.submit(now, k);
    const t1 = process.hrtime.bigint();
    const leases = schema.claim(now, k);
    const t2 = process.hrtime.bigint();
    if (leases.length !== k) throw new Error(`claimed ${leases.length} of ${k}`);
    schema.complete(now, leases);
    const t3 = process.hrtime.bigint();
    if (r < warm) continue;
    ns[0]! += t1 - t0;
    ns[1]! += t2 - t1;
    ns[2]! += t3 - t2;
  }
  return ns.map((x) => Number(x) / 1000 / ((rounds - warm) * k));
}

const program = new Command('lease-schema-prototype')
  .description("the store's statements per task: taskwire's schema against a lean lease schema")
  .option(
    '--sizes <list>',
    'tasks per transaction',
    (v: string) => {
      const sizes = v.split(',').map(Number);
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new InvalidArgumentError('expected positive integers, comma-separated');
      }
      return sizes;
    },
    [4, 32, 128],
  )
  .option('--tasks <n>', 'tasks per size and schema', (v) => Number(v), 48_000)
  .action((opts: { sizes: number[]; tasks: number }) => {
    const dir = mkdtempSync(join(tmpdir(), 'taskwire-schemas-'));
    try {
      console.log('K    | schema             | submit | claim | complete | total  (µs per task)');
      for (const k of opts.sizes) {
        const variants: [string, (db: Database.Database) => Schema][] = [
          ['current', current],
          ['lean, attempt rows', (db) => lean(db, true)],
          ['lean, no attempts', (db) => lean(db, false)],
        ];
        for (const [name, make] of variants) {
          const db = open(join(dir, `${name.replace(/\W+/g, '-')}-${k}.db`));
          try {
            const [s, c, d] = measure(make(db), k, opts.tasks) as [number, number, number];
            const f = (x: number) => x.toFixed(2).padStart(6);
            console.log(
              `${String(k).padEnd(4)} | ${name.padEnd(18)} | ${f(s)} | ${f(c)} | ${f(d)}   | ${f(s + c + d)}`,
            );
          } finally {
            db.close();
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

program.parse();
