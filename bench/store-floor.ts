/**
 * The store's own cost per task, without a server: batches of K submits, a claim of K and
 * their K completions, each one write (one transaction), through the real SqliteStore, the
 * way the committer sends them. Beside it, what SQLite itself does on this machine: a plain
 * better-sqlite3 loop of insert + update pairs in batches of 1,000 (WAL). The gap between the
 * two is the schema's work per task; the first is the floor under the server's CPU per task.
 *
 *   node --import tsx bench/store-floor.ts [--sizes 1,4,32,128] [--tasks 40000] [--dir DIR]
 *     [--against CHECKOUT]   (A/B: another checkout's store takes turns with this one's)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Command, InvalidArgumentError } from 'commander';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { emptyBatch, type WriteBatch } from '../src/store/types.ts';

const TYPE = 'noop';
const DATA = 'abcdefghijklmnop';

interface PerTask {
  submit: number;
  claim: number;
  complete: number;
}

function list(value: string): number[] {
  const sizes = value.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError('expected positive integers, comma-separated');
  }
  return sizes;
}

/** The store under test: this checkout's SqliteStore, or another checkout's (`--against`). */
type FloorStore = Pick<SqliteStore, 'open' | 'close' | 'write'>;
type StoreClass = new (opts: { path: string; fsync?: boolean }) => FloorStore;

async function timed(store: FloorStore, batch: WriteBatch): Promise<[bigint, unknown]> {
  const started = process.hrtime.bigint();
  const outcome = await store.write(batch);
  return [process.hrtime.bigint() - started, outcome];
}

/**
 * µs per task of each phase, over `tasks` tasks in batches of `k` (the first fifth
 * unmeasured), for each store class. With several, they take turns batch by batch (the
 * order swapped every batch), so that the host's drift, a fifth within an hour on these
 * virtual machines, falls on all of them alike.
 */
async function storeFloor(
  dir: string,
  classes: StoreClass[],
  k: number,
  tasks: number,
): Promise<PerTask[]> {
  const stores = classes.map((C, i) => new C({ path: join(dir, `floor-${k}-${i}.db`) }));
  for (const store of stores) await store.open();
  const batches = Math.max(5, Math.ceil(tasks / k));
  const warm = Math.floor(batches / 5);
  const ns = stores.map(() => ({ submit: 0n, claim: 0n, complete: 0n }));
  try {
    for (let b = 0; b < batches; b++) {
      for (let turn = 0; turn < stores.length; turn++) {
        const i = b % 2 === 0 ? turn : stores.length - 1 - turn;
        const store = stores[i]!;
        const now = Date.now();
        const submit = emptyBatch(now);
        for (let j = 0; j < k; j++)
          submit.submits.push({ type: TYPE, data: DATA, reps: 1, maxAttempts: 3 });
        const [submitNs] = await timed(store, submit);
        const claim = emptyBatch(now);
        claim.claims.push({ worker: 'floor', types: [TYPE], limit: k, now, leaseMs: 30_000 });
        const [claimNs, claimed] = await timed(store, claim);
        const leases =
          (claimed as Awaited<ReturnType<SqliteStore['write']>>).claims[0]?.leases ?? [];
        if (leases.length !== k) throw new Error(`claimed ${leases.length} of ${k}`);
        const complete = emptyBatch(now);
        complete.full = () => false; // as the server does for a task nobody waits on
        for (const l of leases)
          complete.completions.push({ token: l.token, result: null, units: 1 });
        const [completeNs] = await timed(store, complete);
        if (b < warm) continue;
        ns[i]!.submit += submitNs;
        ns[i]!.claim += claimNs;
        ns[i]!.complete += completeNs;
      }
    }
  } finally {
    for (const store of stores) await store.close();
  }
  const per = (x: bigint) => Number(x) / 1000 / ((batches - warm) * k);
  return ns.map((n) => ({ submit: per(n.submit), claim: per(n.claim), complete: per(n.complete) }));
}

/** Insert + update pairs per second, batches of 1,000 in one transaction each (WAL). */
function sqlitePairs(dir: string, pairs: number): number {
  const db = new Database(join(dir, 'pairs.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, s INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v, s) VALUES (?, 0)');
    const update = db.prepare('UPDATE t SET s = 1 WHERE id = ?');
    const batch = db.transaction((n: number) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(Number(insert.run(DATA).lastInsertRowid));
      for (const id of ids) update.run(id);
    });
    const started = performance.now();
    for (let done = 0; done < pairs; done += 1000) batch(1000);
    return pairs / ((performance.now() - started) / 1000);
  } finally {
    db.close();
  }
}

const program = new Command('store-floor')
  .description("the SQLite store's own cost per task, by batch size, and SQLite's own rate here")
  .option('--sizes <list>', 'batch sizes (tasks per write)', list, [1, 4, 32, 128])
  .option('--tasks <n>', 'tasks per size', (v) => Number(v), 40_000)
  .option('--dir <dir>', 'where the databases go (default: a temporary folder, removed after)')
  .option(
    '--against <checkout>',
    "another taskwire checkout (its folder, npm-installed): its SqliteStore takes turns with this one's, batch by batch",
  )
  .action(async (opts: { sizes: number[]; tasks: number; dir?: string; against?: string }) => {
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'taskwire-floor-'));
    const classes: [string, StoreClass][] = [['this', SqliteStore]];
    if (opts.against) {
      const url = pathToFileURL(resolve(opts.against, 'src/store/sqlite/store.ts'));
      const other = (await import(url.href)) as { SqliteStore: StoreClass };
      classes.unshift([opts.against, other.SqliteStore]);
    }
    try {
      const fmt = (x: number) => x.toFixed(2).padStart(7);
      const label = (name: string) => (classes.length > 1 ? ` ${name}` : '');
      console.log('tasks per write | submit µs/task | claim µs/task | complete µs/task | total');
      for (const k of opts.sizes) {
        const rows = await storeFloor(
          dir,
          classes.map(([, C]) => C),
          k,
          opts.tasks,
        );
        rows.forEach((t, i) => {
          const total = t.submit + t.claim + t.complete;
          console.log(
            `${String(k).padStart(15)} | ${fmt(t.submit)}        | ${fmt(t.claim)}       | ${fmt(t.complete)}          | ${fmt(total)}${label(classes[i]![0])}`,
          );
        });
      }
      const pairs = sqlitePairs(dir, 300_000);
      console.log(`better-sqlite3 insert + update pairs/s, batches of 1,000: ${Math.round(pairs)}`);
    } finally {
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    }
  });

await program.parseAsync();
