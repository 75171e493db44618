/** The Store contract, part: task lists for operators (keyset pages, filters), counts by type, queue age. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { CLOCK_MARGIN_MS } from '../../../src/store/task-lists.ts';
import type { Store, TaskQuery } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  claimOne,
  complete,
  fail,
  newTask,
  submit,
  T0,
} from './helpers.ts';

/** Every task a query lists, page after page; and how many pages it took. */
async function all(store: Store, query: Omit<TaskQuery, 'before'>) {
  const ids: number[] = [];
  let pages = 0;
  let before: TaskQuery['before'];
  do {
    const page = await store.listTasks({ ...query, ...(before && { before }) });
    ids.push(...page.tasks.map((t) => t.id));
    before = page.next;
    pages++;
    assert.ok(pages < 1000, 'the pages end');
  } while (before);
  return { ids, pages };
}

export function taskListsContract(test: ContractTest): void {
  describe('task lists', () => {
    test('pages list every task once, newest first (by id: the order they were created in)', async (store) => {
      const older = await submit(store, T0, newTask(), newTask(), newTask());
      const newer = await submit(store, T0 + 10, newTask(), newTask());
      const first = await store.listTasks({ limit: 2, scan: 100 });
      assert.deepEqual(
        first.tasks.map((t) => t.id),
        [newer[1], newer[0]],
      );
      assert.equal(first.tasks[0]?.type, 'flip');
      assert.deepEqual(first.tasks[0]?.data, { n: 1 });
      assert.deepEqual(first.next, { id: newer[0] });
      const { ids } = await all(store, { limit: 2, scan: 100 });
      assert.deepEqual(ids, [...newer].reverse().concat([...older].reverse()));
    });

    test('filters by status, type, time range and text, each and together', async (store) => {
      const [a, b, c, d] = await submit(
        store,
        T0,
        newTask({ data: { img: 'Cat.PNG' } }),
        newTask({ type: 'resize', data: 'dog' }),
        newTask({ data: 'fish', maxAttempts: 1 }),
        newTask({ data: 'bird' }),
      );
      const [e] = await submit(store, T0 + 1000, newTask({ data: 'late' }));
      const done = await claimOne(store, T0 + 1);
      assert.equal(done.taskId, a);
      await complete(store, T0 + 2, done.token, { answer: 'Forty-Two' });
      const [toFail] = await claim(store, T0 + 3, { limit: 1 });
      assert.equal(toFail?.taskId, c);
      await fail(store, T0 + 4, toFail!.token, 'Timeout after 5s', T0 + 5);
      const list = (q: Omit<TaskQuery, 'limit' | 'scan'>) =>
        all(store, { limit: 10, scan: 100, ...q }).then((r) => r.ids);
      assert.deepEqual(await list({ statuses: ['done'] }), [a]);
      assert.deepEqual(await list({ statuses: ['failed'] }), [c]);
      assert.deepEqual(await list({ statuses: ['failed', 'done'] }), [c, a]);
      assert.deepEqual(await list({ statuses: ['enqueued'] }), [e, d, b]);
      assert.deepEqual(await list({ type: 'resize' }), [b]);
      assert.deepEqual(await list({ type: 'resize', statuses: ['done'] }), []);
      assert.deepEqual(await list({ q: 'cat.png' }), [a], 'data, any case');
      assert.deepEqual(await list({ q: 'forty' }), [a], 'result text');
      assert.deepEqual(await list({ q: 'timeout' }), [c], 'error text');
      assert.deepEqual(await list({ q: 'timeout', statuses: ['failed'] }), [c]);
      assert.deepEqual(await list({ q: String(d) }), [d], 'the id');
      assert.deepEqual(await list({ q: '%' }), [], 'no wildcard');
      assert.deepEqual(await list({ from: T0 + 1 }), [e]);
      assert.deepEqual(await list({ to: T0 + 1000 }), [d, c, b, a]);
      assert.deepEqual(await list({ from: T0, to: T0 + 1 }), [d, c, b, a]);
    });

    test('a sparse filter reads at most `scan` tasks a page, and goes on from there', async (store) => {
      const ids = await submit(
        store,
        T0,
        ...Array.from({ length: 30 }, (_, i) => newTask({ data: i % 10 === 0 ? 'needle' : 'hay' })),
      );
      const first = await store.listTasks({ q: 'needle', limit: 5, scan: 8 });
      assert.deepEqual(
        first.tasks.map((t) => t.id),
        [],
        'the newest 8 hold no needle',
      );
      assert.deepEqual(first.next, { id: ids[22] }, 'where the window ended');
      const { ids: found, pages } = await all(store, { q: 'needle', limit: 5, scan: 8 });
      assert.deepEqual(found, [ids[20], ids[10], ids[0]]);
      assert.equal(pages, 4, '30 tasks, 8 a page');
    });

    test('a time range is exact, and its pages read the range (and its margin) only', async (store) => {
      // 40 tasks, each a batch of its own CLOCK_MARGIN_MS + 1 ms after the one before, so the
      // margin around a range reaches no task outside it.
      const step = CLOCK_MARGIN_MS + 1;
      const ids: number[] = [];
      for (let i = 0; i < 40; i++) ids.push(...(await submit(store, T0 + i * step, newTask())));
      const range = { from: T0 + 10 * step, to: T0 + 20 * step };
      const { ids: listed, pages } = await all(store, { ...range, limit: 3, scan: 3 });
      assert.deepEqual(listed, ids.slice(10, 20).reverse(), 'tasks 10 to 19, newest first');
      assert.equal(pages, 4, '10 tasks, 3 a window: the other 30 are not read');
      // Bounds between two tasks' times, at the ends of the table, and an empty range.
      const between = { from: T0 + 10 * step - 1, to: T0 + 19 * step + 1 };
      assert.deepEqual((await all(store, { ...between, limit: 50, scan: 50 })).ids, listed);
      assert.deepEqual((await all(store, { to: T0 + 2 * step, limit: 50, scan: 50 })).ids, [
        ids[1],
        ids[0],
      ]);
      assert.deepEqual((await all(store, { from: T0 + 38 * step, limit: 50, scan: 50 })).ids, [
        ids[39],
        ids[38],
      ]);
      assert.deepEqual((await all(store, { from: T0 + 40 * step, limit: 50, scan: 50 })).ids, []);
      assert.deepEqual((await all(store, { to: T0, limit: 50, scan: 50 })).ids, []);
    });

    test('a time range holds a task created out of id order by less than the margin', async (store) => {
      // A second server's clock half a second behind: its task, submitted after b, has the
      // higher id and the older time.
      const [a] = await submit(store, T0, newTask());
      const [b] = await submit(store, T0 + 1000, newTask());
      const [late] = await submit(store, T0 + 500, newTask());
      const list = (from: number, to: number) =>
        all(store, { from, to, limit: 50, scan: 50 }).then((r) => r.ids);
      assert.deepEqual(await list(T0 + 400, T0 + 600), [late]);
      assert.deepEqual(await list(T0, T0 + 1000), [late, a]);
      assert.deepEqual(await list(T0 + 1000, T0 + 1001), [b]);
      assert.deepEqual(await list(T0, T0 + 1001), [late, b, a]);
    });

    test('a list of failures pages like any other', async (store) => {
      const specs = Array.from({ length: 6 }, () => newTask({ maxAttempts: 1 }));
      const ids = await submit(store, T0, ...specs);
      const leases = await claim(store, T0 + 1, { limit: 6 });
      for (const [i, l] of leases.entries()) {
        if (i % 2 === 0) await fail(store, T0 + 2, l.token, `boom ${i}`, T0);
        else await complete(store, T0 + 2, l.token, null);
      }
      const { ids: failed, pages } = await all(store, { statuses: ['failed'], limit: 2, scan: 2 });
      assert.deepEqual(failed, [ids[4], ids[2], ids[0]]);
      assert.equal(pages, 2);
      assert.deepEqual(
        (await all(store, { statuses: ['failed'], q: 'BOOM 2', limit: 9, scan: 9 })).ids,
        [ids[2]],
      );
    });

    test('a bad limit or scan is refused', async (store) => {
      await assert.rejects(store.listTasks({ limit: 0, scan: 10 }), RangeError);
      await assert.rejects(store.listTasks({ limit: 10, scan: 5 }), RangeError);
    });

    test('counts by type and status', async (store) => {
      await submit(store, T0, newTask(), newTask(), newTask({ type: 'resize' }));
      const l = await claimOne(store, T0);
      await complete(store, T0 + 1, l.token, null);
      const max = await store.maxTaskId();
      const sorted = (rows: { type: string; status: string; n: number }[]) =>
        rows.sort((x, y) => `${x.type}${x.status}`.localeCompare(`${y.type}${y.status}`));
      const rows = sorted(await store.countsByType(0, max));
      assert.deepEqual(rows, [
        { type: 'flip', status: 'done', n: 1 },
        { type: 'flip', status: 'enqueued', n: 1 },
        { type: 'resize', status: 'enqueued', n: 1 },
      ]);
      // In slices of the id range, as the reconcile reads a large table.
      assert.deepEqual(await store.countsByType(max - 1, max), [
        { type: 'resize', status: 'enqueued', n: 1 },
      ]);
      assert.deepEqual(sorted(await store.countsByType(0, max - 1)), [
        { type: 'flip', status: 'done', n: 1 },
        { type: 'flip', status: 'enqueued', n: 1 },
      ]);
      assert.deepEqual(await store.countsByType(max, max + 100), []);
    });

    test('the highest task id', async (store) => {
      assert.equal(await store.maxTaskId(), 0);
      const ids = await submit(store, T0, newTask(), newTask());
      assert.equal(await store.maxTaskId(), ids[1]);
    });

    test('oldest ready: when the task next in line became runnable, per type', async (store) => {
      await submit(store, T0, newTask({ type: 'resize' }));
      await submit(store, T0 + 5, newTask(), newTask());
      const retried = await claimOne(store, T0 + 6);
      await fail(store, T0 + 7, retried.token, 'again', T0 + 60_000);
      const at = (now: number) =>
        store
          .oldestReady(['flip', 'resize', 'none'], now)
          .then((r) => r.sort((x, y) => x.type.localeCompare(y.type)));
      assert.deepEqual(await at(T0 + 10), [
        { type: 'flip', readyAt: T0 + 5 },
        { type: 'resize', readyAt: T0 },
      ]);
      const [next] = await claim(store, T0 + 10, { limit: 1 });
      assert.ok(next);
      assert.deepEqual(await at(T0 + 10), [{ type: 'resize', readyAt: T0 }], 'the retry waits');
      assert.deepEqual(await at(T0 + 60_000), [
        { type: 'flip', readyAt: T0 + 60_000 },
        { type: 'resize', readyAt: T0 },
      ]);
      assert.equal(retried.readyAt, T0 + 5, "a lease carries its task's run-at");
      assert.deepEqual(await store.oldestReady([], T0), []);
    });
  });
}
