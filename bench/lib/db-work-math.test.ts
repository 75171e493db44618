/** `node --import tsx --test bench/lib/db-work-math.test.ts` */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DbCounters,
  dbWork,
  dbWorkSamples,
  describeTables,
  lsnBytes,
} from './db-work-math.ts';

const base: DbCounters = {
  commits: 10,
  rollbacks: 0,
  tables: { 'public.tasks': { ins: 5, upd: 5, hot: 0, del: 0 } },
  walBytes: lsnBytes('0/1000'),
  otherRows: 7,
};

test('lsnBytes reads both halves', () => {
  assert.equal(lsnBytes('0/16B3748'), 0x16b3748n);
  assert.equal(lsnBytes('1/0'), 1n << 32n);
  assert.throws(() => lsnBytes('16B3748'));
});

test('dbWork: deltas per task, tables that wrote nothing left out', () => {
  const after: DbCounters = {
    commits: 30,
    rollbacks: 1,
    tables: {
      'public.tasks': { ins: 105, upd: 205, hot: 100, del: 0 },
      'public.leases': { ins: 100, upd: 100, hot: 0, del: 0 },
      'public.idle': { ins: 0, upd: 0, hot: 0, del: 0 },
    },
    walBytes: lsnBytes('0/1000') + 185_100n,
    otherRows: 7,
  };
  const work = dbWork(base, after, 100);
  assert.equal(work.rows, 500);
  assert.equal(work.commits, 20);
  assert.deepEqual(Object.keys(work.tables).sort(), ['public.leases', 'public.tasks']);
  const samples = Object.fromEntries(dbWorkSamples('steady', work).map((s) => [s.name, s.value]));
  assert.deepEqual(samples, { 'steady-db-xacts': 0.2, 'steady-db-rows': 5, 'steady-db-wal': 1851 });
  assert.equal(
    describeTables(work),
    'public.leases ins 1 upd 1 del 0; public.tasks ins 1 upd 2 (hot 1) del 0',
  );
});

test('no WAL figure when another database wrote rows in the window', () => {
  const after = { ...base, commits: 11, otherRows: 8 };
  const names = dbWorkSamples('steady', dbWork(base, after, 10)).map((s) => s.name);
  assert.deepEqual(names, ['steady-db-xacts', 'steady-db-rows']);
});

test('the cluster CPU per task when both snapshots read it, left out like the WAL', () => {
  const before = { ...base, cpuSeconds: 2 };
  const quiet = dbWork(before, { ...base, commits: 11, cpuSeconds: 2.5 }, 1000);
  const samples = Object.fromEntries(dbWorkSamples('steady', quiet).map((s) => [s.name, s.value]));
  assert.equal(samples['steady-db-cpu'], 500);
  const remote = dbWork(base, { ...base, commits: 11 }, 1000);
  assert.equal(
    dbWorkSamples('steady', remote).some((s) => s.name === 'steady-db-cpu'),
    false,
  );
  const shared = dbWork(before, { ...base, otherRows: 9, cpuSeconds: 3 }, 1000);
  assert.equal(
    dbWorkSamples('steady', shared).some((s) => s.name === 'steady-db-cpu'),
    false,
  );
});
