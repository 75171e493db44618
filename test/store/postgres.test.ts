import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { isStoreUnavailable } from '../../src/store/errors.ts';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/store.ts';
import { emptyBatch, type Lease, type NewTask, type StoreEvent } from '../../src/store/types.ts';
import { freePort } from '../client/scripted-server.ts';
import {
  createTestDatabase,
  pgAvailable,
  type TestDatabase,
  withAdmin,
} from '../support/postgres.ts';
import { storeContract } from './contract.ts';

const T0 = 1_700_000_000_000;
const available = await pgAvailable();

async function openStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(opts);
  await store.open();
  return store;
}

function newTask(over: Partial<NewTask> = {}): NewTask {
  return { type: 'flip', data: { n: 1 }, reps: 1, maxAttempts: 3, ...over };
}

function tasks(n: number, over: Partial<NewTask> = {}): NewTask[] {
  return Array.from({ length: n }, (_, i) => newTask({ data: { i }, ...over }));
}

/** Collects a store's events; `next` waits for the first matching one from now on. */
function recorder(store: PostgresStore) {
  const seen: StoreEvent[] = [];
  let waiters: { match: (e: StoreEvent) => boolean; resolve: (e: StoreEvent) => void }[] = [];
  const stop = store.subscribe((event) => {
    seen.push(event);
    const matched = waiters.filter((w) => w.match(event));
    waiters = waiters.filter((w) => !w.match(event));
    for (const w of matched) w.resolve(event);
  });
  return {
    seen,
    stop,
    next(match: (e: StoreEvent) => boolean = () => true): Promise<StoreEvent> {
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

const isReady = (e: StoreEvent) => e.kind === 'ready';

/**
 * A TCP proxy in front of PostgreSQL that a test can cut (every connection dropped, new ones
 * refused) and restore on the same port: the database going away and coming back.
 */
async function pgProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    const s = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        sockets.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          sockets.delete(a);
          b.destroy();
        });
      }
    });
    s.listen(port, '127.0.0.1');
    await new Promise((resolve) => s.once('listening', resolve));
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => s?.close(resolve));
  };
  await start();
  return {
    port,
    url: (url: string) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    restore: start,
  };
}

if ('skip' in available) {
  describe('PostgresStore', { skip: available.skip }, () => {
    it('needs PostgreSQL', () => {});
  });
} else {
  const db = await createTestDatabase();
  after(async () => {
    console.log(await db.drop());
  });

  storeContract('postgres', async () => {
    const schema = await db.schema();
    const store = await openStore({ url: schema.url, poolSize: 2 });
    return {
      store,
      where: schema.url,
      async cleanup() {
        await store.close();
        await schema.drop();
      },
    };
  });

  /** Runs `fn` with a fresh schema; the schema (and so the database) is kept on failure. */
  async function inSchema(fn: (url: string) => Promise<void>): Promise<void> {
    const schema = await db.schema();
    await fn(schema.url);
    await schema.drop();
  }

  /** Runs `fn` with stores open on one fresh schema, closing them afterwards. */
  async function withStores(
    n: number,
    fn: (...stores: PostgresStore[]) => Promise<void>,
    opts: Partial<PostgresStoreOptions> = {},
  ): Promise<void> {
    await inSchema(async (url) => {
      const stores = await Promise.all(
        Array.from({ length: n }, () => openStore({ url, poolSize: 4, ...opts })),
      );
      try {
        await fn(...stores);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  }

  describe('PostgresStore', () => {
    describe('migrations', () => {
      it('four stores opening a fresh database at once migrate it exactly once', async () => {
        const fresh: TestDatabase = await createTestDatabase();
        const stores = await Promise.all(
          Array.from({ length: 4 }, () => openStore({ url: fresh.url, poolSize: 1 })),
        );
        try {
          const rows = await withAdmin(fresh.url, (c) =>
            c.query('SELECT version, name FROM schema_migrations ORDER BY version'),
          );
          assert.deepEqual(rows.rows, [
            { version: 1, name: '001_init' },
            { version: 2, name: '002_task_types' },
            { version: 3, name: '003_scheduling' },
            { version: 5, name: '005_task_lists' },
            { version: 6, name: '006_retention' },
            { version: 7, name: '007_operator' },
            { version: 8, name: '008_task_leases' },
            { version: 9, name: '009_list_by_id' },
          ]);
          const ids = (await stores[0]!.write({ ...emptyBatch(T0), submits: tasks(2) })).ids;
          assert.deepEqual((await stores[3]!.get(ids[1]!))?.data, { i: 1 });
        } finally {
          await Promise.all(stores.map((s) => s.close()));
        }
        await fresh.drop();
      });

      it('refuses a database migrated by a newer taskwire', () =>
        inSchema(async (url) => {
          await (await openStore({ url })).close();
          await withAdmin(url, (c) =>
            c.query("INSERT INTO schema_migrations VALUES (999, '999_future', 0)"),
          );
          await assert.rejects(openStore({ url }), /newer than this taskwire knows/);
        }));

      it('with fsync, refuses a server that does not sync its commits', () =>
        inSchema(async (url) => {
          const u = new URL(url);
          u.searchParams.set(
            'options',
            `${u.searchParams.get('options')} -c synchronous_commit=off`,
          );
          await assert.rejects(
            openStore({ url: u.toString(), fsync: true }),
            /synchronous_commit = off/,
          );
          await (await openStore({ url: u.toString() })).close();
          await (await openStore({ url, fsync: true })).close();
        }));
    });

    describe('several servers on one database', () => {
      it('claiming at once, they lease each of 2,000 tasks exactly once', () =>
        withStores(2, async (a, b) => {
          const submitted = [
            ...(await a.write({ ...emptyBatch(T0), submits: tasks(1000) })).ids,
            ...(await b.write({ ...emptyBatch(T0), submits: tasks(1000) })).ids,
          ];
          const drain = async (store: PostgresStore, worker: string) => {
            const got: Lease[] = [];
            for (;;) {
              const leases = await store.claim({
                worker,
                types: ['flip'],
                limit: 50,
                now: T0,
                leaseMs: 30_000,
              });
              got.push(...leases);
              if (leases.length === 0 && (await store.counts()).enqueued === 0) return got;
            }
          };
          const all = (
            await Promise.all([drain(a, 'a1'), drain(b, 'b1'), drain(a, 'a2'), drain(b, 'b2')])
          ).flat();
          assert.equal(all.length, 2000);
          assert.deepEqual(
            all.map((l) => l.taskId).sort((x, y) => x - y),
            submitted,
          );
          assert.equal(new Set(all.map((l) => l.token)).size, 2000);
          assert.equal((await a.counts()).processing, 2000);
        }));

      it('reclaiming at once, they take back each expired lease exactly once', () =>
        withStores(2, async (a, b) => {
          await a.write({
            ...emptyBatch(T0),
            submits: [...tasks(300), ...tasks(100, { reps: 3 })],
          });
          const leases: Lease[] = [];
          for (let round = 0; round < 3; round++) {
            const req = { worker: 'w', types: ['flip'], limit: 1000, now: T0, leaseMs: 1000 };
            leases.push(...(await (round % 2 ? b : a).claim(req)));
          }
          assert.equal(leases.length, 300 + 100 * 3);
          const taken: number[] = [];
          for (;;) {
            const now = T0 + 5000;
            const rounds = await Promise.all([
              a.reclaimExpired(now),
              b.reclaimExpired(now),
              a.reclaimExpired(now),
              b.reclaimExpired(now),
            ]);
            const tokens = rounds.flat().map((e) => e.token);
            if (tokens.length === 0) break;
            taken.push(...tokens);
          }
          assert.deepEqual(
            taken.sort((x, y) => x - y),
            leases.map((l) => l.token).sort((x, y) => x - y),
          );
          assert.deepEqual(await a.counts(), {
            scheduled: 0,
            enqueued: 400,
            processing: 0,
            done: 0,
            failed: 0,
            canceled: 0,
          });
          const multi = await b.get(leases.at(-1)!.taskId, true);
          assert.equal(multi?.unitsLeased, 0);
          assert.deepEqual(
            multi?.attemptLog?.map((l) => l.state),
            ['expired', 'expired', 'expired'],
          );
        }));

      it('releaseAll releases every active lease, other servers’ too', () =>
        withStores(2, async (a, b) => {
          const [x, y] = (
            await a.write({ ...emptyBatch(T0), submits: [newTask(), newTask({ reps: 2 })] })
          ).ids;
          const req = { worker: 'w', types: ['flip'], limit: 5, now: T0, leaseMs: 1000 };
          await a.claim(req);
          await b.claim(req);
          assert.equal(await b.releaseAll(T0 + 1), 3);
          assert.equal(await a.releaseAll(T0 + 2), 0);
          for (const id of [x, y]) {
            const task = await a.get(id!);
            assert.equal(task?.status, 'enqueued');
            assert.equal(task?.unitsLeased, 0);
          }
        }));

      it('a lease past its deadline is not extended, even before a sweep', () =>
        withStores(1, async (store) => {
          await store.write({ ...emptyBatch(T0), submits: tasks(2) });
          const [l1, l2] = await store.claim({
            worker: 'w',
            types: ['flip'],
            limit: 2,
            now: T0,
            leaseMs: 1000,
          });
          assert.deepEqual(await store.extend([l1!.token, l2!.token], T0 + 5000, T0 + 1000), [
            true,
            true,
          ]);
          assert.deepEqual(await store.extend([l1!.token], T0 + 9000, T0 + 5001), [false]);
          assert.deepEqual(
            (await store.reclaimExpired(T0 + 5001)).map((e) => e.token),
            [l1!.token, l2!.token],
          );
        }));
    });

    describe('scheduling on several servers', () => {
      it('concurrent submits of one key on two servers make one task', () =>
        withStores(2, async (a, b) => {
          for (let round = 0; round < 20; round++) {
            const key = `order-${round}`;
            const [ra, rb] = await Promise.all(
              [a, b].map((s) =>
                s.write({ ...emptyBatch(T0), submits: [newTask({ key, data: { round } })] }),
              ),
            );
            assert.equal(ra!.ids[0], rb!.ids[0], `one task for ${key}`);
            assert.equal(
              ra!.duplicates.length + rb!.duplicates.length,
              1,
              'one of them a duplicate',
            );
          }
          assert.equal((await a.counts()).enqueued, 20);
        }));

      it('enqueueing due tasks at once, each is enqueued by one server', () =>
        withStores(2, async (a, b) => {
          const submits = Array.from({ length: 300 }, (_, i) =>
            newTask({ runAt: T0 + 1 + (i % 7) }),
          );
          await a.write({ ...emptyBatch(T0), submits });
          const got: number[] = [];
          for (;;) {
            const [x, y] = await Promise.all([
              a.enqueueDue(T0 + 10, 40),
              b.enqueueDue(T0 + 10, 40),
            ]);
            if (x!.length + y!.length === 0) break;
            got.push(...x!.map((t) => t.id), ...y!.map((t) => t.id));
          }
          assert.equal(got.length, 300);
          assert.equal(new Set(got).size, 300, 'no task twice');
        }));

      it('ticking at once, a schedule makes one task per tick', () =>
        withStores(3, async (...stores) => {
          const minute = 60_000;
          await stores[0]!.putSchedule(
            {
              name: 'n',
              cron: '* * * * *',
              tz: null,
              type: 'flip',
              data: 'x',
              priority: 0,
              maxAttempts: 3,
              nextRun: T0 + minute,
            },
            T0,
          );
          for (let k = 1; k <= 5; k++) {
            const now = T0 + k * minute;
            const ticks = (
              await Promise.all(stores.map((s) => s.tickSchedules(now, () => now + minute)))
            ).flat();
            assert.equal(ticks.length, 1, `tick ${k} ran once`);
          }
          assert.equal((await stores[1]!.counts()).enqueued, 5);
        }));

      it('a claim at a million-task scale reads about its limit, in priority order', () =>
        inSchema(async (url) => {
          const store = await openStore({ url });
          try {
            await withAdmin(url, async (c) => {
              await c.query(`INSERT INTO tasks (type, data, status, ready, run_at, reps, max_attempts,
                created_at, updated_at, priority)
                SELECT 'flip', '1', 'enqueued', true, 0, 1, 3, 0, 0, (g % 5) - 2
                FROM generate_series(1, 1000000) AS g`);
              await c.query('ANALYZE tasks');
            });
            const leases = await store.claim({
              worker: 'w',
              types: ['flip'],
              limit: 10,
              now: T0,
              leaseMs: 1000,
            });
            assert.deepEqual(
              leases.map((l) => l.priority),
              Array(10).fill(2),
            );
            const plan = await withAdmin(url, async (c) => {
              await c.query('SET plan_cache_mode = force_generic_plan');
              await c.query(`PREPARE claim(text[], bigint, integer, bigint, text, bigint) AS
                ${readFileSync(new URL('../../src/store/postgres/sql/tasks-claim.sql', import.meta.url), 'utf8')}`);
              await c.query('BEGIN');
              const { rows } = await c.query(
                `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim('{flip}', ${T0}, 10, 0, 'w', ${T0 + 1000})`,
              );
              await c.query('ROLLBACK');
              return JSON.stringify(rows[0]['QUERY PLAN']);
            });
            const scans = [
              ...plan.matchAll(/"Index Name":"tasks_claim"[^}]*?"Actual Rows":(\d+)/g),
            ];
            assert.ok(scans.length > 0, `the claim walks tasks_claim: ${plan.slice(0, 400)}`);
            for (const [, rows] of scans) assert.ok(Number(rows) <= 20, `read ${rows} entries`);
            assert.doesNotMatch(plan, /"Node Type":"Sort"[^}]*"Relation Name":"tasks"/);
          } finally {
            await store.close();
          }
        }));
    });

    describe('round trips', () => {
      it('are the same for a batch of 10 and of 1,000', () =>
        withStores(1, async (store) => {
          const cost = async (fn: () => Promise<unknown>) => {
            const before = store.stats;
            await fn();
            const after = store.stats;
            return {
              roundTrips: after.roundTrips - before.roundTrips,
              queries: after.queries - before.queries,
            };
          };
          const sizes = [10, 1000];
          const submits = [];
          const claims = [];
          const completions = [];
          for (const n of sizes) {
            submits.push(await cost(() => store.write({ ...emptyBatch(T0), submits: tasks(n) })));
            let leases: Lease[] = [];
            claims.push(
              await cost(async () => {
                leases = await store.claim({
                  worker: 'w',
                  types: ['flip'],
                  limit: n,
                  now: T0,
                  leaseMs: 1000,
                });
              }),
            );
            assert.equal(leases.length, n);
            completions.push(
              await cost(() =>
                store.write({
                  ...emptyBatch(T0),
                  completions: leases.map((l) => ({ token: l.token, result: null, units: 1 })),
                  submits: [newTask()],
                }),
              ),
            );
            await store.claim({ worker: 'w', types: ['flip'], limit: 1, now: T0, leaseMs: 1 });
          }
          assert.deepEqual(submits[0], submits[1]);
          assert.deepEqual(claims[0], claims[1]);
          assert.deepEqual(completions[0], completions[1]);
          assert.equal(submits[0]!.roundTrips, 1, 'submits alone: one round trip');
          assert.equal(claims[0]!.roundTrips, 1, 'a claim: one round trip');
          assert.equal(completions[0]!.roundTrips, 2, 'reports: locks, then the rest');
        }));
    });

    describe('events', () => {
      it('a write on one store reaches the others, not itself', () =>
        withStores(2, async (a, b) => {
          const ea = recorder(a);
          const eb = recorder(b);
          await Promise.all([ea.next(isReady), eb.next(isReady)]); // both listen
          const readyOnB = eb.next(isReady);
          const [id] = (await a.write({ ...emptyBatch(T0), submits: [newTask()] })).ids;
          await readyOnB;

          const [lease] = await b.claim({
            worker: 'w',
            types: ['flip'],
            limit: 1,
            now: T0,
            leaseMs: 1000,
          });
          const changedOnA = ea.next((e) => e.kind === 'changed');
          await b.write({
            ...emptyBatch(T0),
            completions: [{ token: lease!.token, result: 'ok', units: 1 }],
          });
          assert.deepEqual(await changedOnA, { kind: 'changed', ids: [id] });
          // Notifications arrive in commit order: had A heard its own submit, it would have
          // come before B's completion.
          // On listening each also hears `due` and `schedule` (read the due times again).
          const listening = [
            { kind: 'ready' },
            { kind: 'due' },
            { kind: 'schedule' },
            { kind: 'paused' },
          ];
          // A small batch's finished task comes whole first, as the store reads it back.
          const finished = await a.get(id!);
          assert.equal(finished?.status, 'done');
          assert.deepEqual(ea.seen, [
            ...listening,
            { kind: 'finished', tasks: [finished] },
            { kind: 'changed', ids: [id] },
          ]);
          assert.deepEqual(eb.seen, [...listening, { kind: 'ready' }]);
          ea.stop();
          eb.stop();
        }));

      it('a store sends finished records only once it has heard another server', () =>
        withStores(2, async (a, b) => {
          const ea = recorder(a);
          const eb = recorder(b);
          await Promise.all([ea.next(isReady), eb.next(isReady)]); // both listen
          const finishOne = async () => {
            const [id] = (await a.write({ ...emptyBatch(T0), submits: [newTask()] })).ids;
            const [lease] = await a.claim({
              worker: 'w',
              types: ['flip'],
              limit: 1,
              now: T0,
              leaseMs: 1000,
            });
            const changedOnB = eb.next((e) => e.kind === 'changed' && e.ids.includes(id!));
            await a.write({
              ...emptyBatch(T0),
              completions: [{ token: lease!.token, result: 'ok', units: 1 }],
            });
            await changedOnB;
            return id!;
          };
          // b has said nothing yet: a is alone as far as it knows, and sends ids only.
          const first = await finishOne();
          assert.deepEqual(
            eb.seen.filter((e) => e.kind === 'finished'),
            [],
            'no record from a store that heard no one',
          );
          // b writes (a task of another type, which a's claims leave alone); a hears it, and
          // its next small batch carries the finished record.
          const readyOnA = ea.next(isReady);
          await b.write({ ...emptyBatch(T0), submits: [newTask({ type: 'swap' })] });
          await readyOnA;
          const second = await finishOne();
          const records = eb.seen.flatMap((e) => (e.kind === 'finished' ? e.tasks : []));
          assert.deepEqual(
            records.map((t) => [t.id, t.status]),
            [[second, 'done']],
          );
          assert.notEqual(first, second);
          ea.stop();
          eb.stop();
        }));

      it('every id of a large batch arrives, in payloads under the size limit', () =>
        withStores(2, async (a, b) => {
          const eb = recorder(b);
          await eb.next(isReady);
          const ids = (await a.write({ ...emptyBatch(T0), submits: tasks(3000) })).ids;
          const leases = await a.claim({
            worker: 'w',
            types: ['flip'],
            limit: 3000,
            now: T0,
            leaseMs: 1000,
          });
          const heard = new Set<number>();
          let parts = 0;
          const all = eb.next((e) => {
            if (e.kind !== 'changed') return false;
            parts += 1;
            for (const id of e.ids) heard.add(id);
            return heard.size === ids.length;
          });
          await a.write({
            ...emptyBatch(T0),
            completions: leases.map((l) => ({ token: l.token, result: null, units: 1 })),
          });
          await all;
          assert.deepEqual(
            [...heard].sort((x, y) => x - y),
            ids,
          );
          assert.ok(parts > 1, `split into ${parts} payloads`);
        }));

      it('the listener reconnects after its connection is killed, and says ready', () =>
        withStores(2, async (a, b) => {
          const eb = recorder(b);
          await eb.next(isReady);
          const again = eb.next(isReady);
          const killed = await withAdmin(db.url, (c) =>
            c.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE application_name = 'taskwire-listen' AND datname = current_database()`,
            ),
          );
          assert.equal(killed.rowCount, 1);
          await again;
          const changed = eb.next((e) => e.kind === 'changed');
          const [id] = (await a.write({ ...emptyBatch(T0), submits: [newTask()] })).ids;
          await a.write({ ...emptyBatch(T0), cancels: [id!] });
          assert.deepEqual(await changed, { kind: 'changed', ids: [id] });
        }));
    });

    describe('failures', () => {
      it('rejects, as unavailable, when nothing listens at the address', async () => {
        const url = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
        const store = new PostgresStore({ url });
        const err = await store.open().then(
          () => assert.fail('opened'),
          (e: unknown) => e,
        );
        assert.ok(isStoreUnavailable(err), `${err}`);
        assert.equal((err as { code?: string }).code, '08001');
        await store.close();
      });

      it('rejects, as unavailable, when the server never answers', async () => {
        const silent = new Set<net.Socket>();
        const server = net.createServer((s) => silent.add(s)).listen(0, '127.0.0.1');
        await new Promise((resolve) => server.once('listening', resolve));
        const { port } = server.address() as net.AddressInfo;
        try {
          const store = new PostgresStore({
            url: `postgres://postgres@127.0.0.1:${port}/postgres`,
            connectTimeoutMs: 200,
          });
          await assert.rejects(store.open(), (e: unknown) => isStoreUnavailable(e));
        } finally {
          for (const s of silent) s.destroy();
          await new Promise((resolve) => server.close(resolve));
        }
      });

      it('recovers by itself when its connections are terminated', () =>
        withStores(1, async (store) => {
          await store.write({ ...emptyBatch(T0), submits: tasks(3) });
          await Promise.all([store.counts(), store.counts()]); // two pooled connections
          await withAdmin(db.url, (c) =>
            c.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE application_name = 'taskwire' AND datname = current_database()`,
            ),
          );
          // Depending on when the pool notices, a call succeeds on a new connection or
          // fails as unavailable; one that cannot be retried (claim) may fail.
          for (const call of [
            () => store.claim({ worker: 'w', types: ['flip'], limit: 1, now: T0, leaseMs: 1 }),
            () => store.counts(),
          ]) {
            await call().catch((err: unknown) => assert.ok(isStoreUnavailable(err), `${err}`));
          }
          const counts = await store.counts();
          assert.equal(counts.enqueued + counts.processing, 3);
          assert.equal((await store.write({ ...emptyBatch(T0), submits: tasks(1) })).ids.length, 1);
        }));

      it('fails as unavailable while the database is gone, and recovers when it is back', () =>
        inSchema(async (url) => {
          const target = new URL(url);
          const proxy = await pgProxy({ host: target.hostname, port: Number(target.port) });
          const direct = await openStore({ url });
          const store = await openStore({
            url: proxy.url(url),
            poolSize: 2,
            connectTimeoutMs: 1000,
          });
          try {
            const events = recorder(store);
            await events.next(isReady);
            await store.write({ ...emptyBatch(T0), submits: tasks(2) });

            await proxy.cut();
            for (const call of [
              () => store.counts(),
              () => store.write({ ...emptyBatch(T0), submits: tasks(1) }),
              () => store.claim({ worker: 'w', types: ['flip'], limit: 1, now: T0, leaseMs: 1 }),
              () => store.get(1, true),
            ]) {
              await assert.rejects(call(), (e: unknown) => isStoreUnavailable(e));
            }

            const reconnected = events.next(isReady);
            await proxy.restore();
            assert.equal((await store.counts()).enqueued, 2, 'the failed write kept nothing');
            await reconnected;
            const changed = events.next((e) => e.kind === 'changed');
            const [lease] = await direct.claim({
              worker: 'w',
              types: ['flip'],
              limit: 1,
              now: T0,
              leaseMs: 1000,
            });
            await direct.write({
              ...emptyBatch(T0),
              completions: [{ token: lease!.token, result: 1, units: 1 }],
            });
            assert.deepEqual(await changed, { kind: 'changed', ids: [lease!.taskId] });
          } finally {
            await store.close();
            await direct.close();
            await proxy.cut();
          }
        }));

      it('close is safe twice; a closed store rejects calls', () =>
        inSchema(async (url) => {
          const store = await openStore({ url });
          await store.close();
          await store.close();
          await assert.rejects(store.counts(), /not open/);
          await assert.rejects(store.write(emptyBatch(T0)), /not open/);
          assert.throws(() => store.subscribe(() => {}), /not open/);
        }));
    });

    it('analyzes its tables in the background as they grow', () =>
      inSchema(async (url) => {
        const reltuples = () =>
          withAdmin(url, async (c) => {
            const { rows } = await c.query(
              "SELECT reltuples FROM pg_class WHERE oid = 'tasks'::regclass",
            );
            return Number(rows[0].reltuples);
          });
        const store = await openStore({ url });
        assert.equal(await reltuples(), -1, 'never analyzed');
        await store.write({ ...emptyBatch(T0), submits: tasks(1500) });
        await store.close(); // waits for the ANALYZE it started
        assert.equal(await reltuples(), 1500);
      }));

    it('reads bigint columns as numbers', () =>
      withStores(1, async (store) => {
        const [id] = (await store.write({ ...emptyBatch(T0), submits: [newTask()] })).ids;
        const task = await store.get(id!);
        assert.equal(typeof task?.id, 'number');
        assert.equal(task?.createdAt, T0);
        assert.equal(typeof (await store.counts()).enqueued, 'number');
      }));
  });
}
