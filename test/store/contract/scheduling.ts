/**
 * The Store contract, part: scheduling. Claim order (priority over FIFO, due time over
 * priority, ties FIFO), scheduled tasks and enqueueDue, unique keys and their hold, cron
 * schedules and their ticks, all on an injected clock.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { KEY_HOLD_MS, type ScheduleSpec, type Store, tickKey } from '../../../src/store/types.ts';
import {
  type ContractTest,
  claim,
  claimOne,
  complete,
  ids,
  mustGet,
  newTask,
  submit,
  T0,
  write,
} from './helpers.ts';

const MINUTE = 60_000;

function schedule(over: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return {
    name: 'every-minute',
    cron: '* * * * *',
    tz: null,
    type: 'flip',
    data: 'tick',
    priority: 0,
    maxAttempts: 3,
    nextRun: T0 + MINUTE,
    ...over,
  };
}

/** The next minute after `now`, as the server computes it for '* * * * *'. */
const nextMinute = (now: number) => (Math.floor(now / MINUTE) + 1) * MINUTE;

async function tick(store: Store, now: number) {
  return store.tickSchedules(now, () => nextMinute(now));
}

export function schedulingContract(test: ContractTest): void {
  describe('claim order', () => {
    test('a higher priority is leased first, whatever the submit order', async (store) => {
      const [low, high, mid, high2] = await submit(
        store,
        T0,
        newTask({ data: 'low' }),
        newTask({ data: 'high', priority: 5 }),
        newTask({ data: 'mid', priority: 1 }),
        newTask({ data: 'high2', priority: 5 }),
      );
      const order = [];
      for (let i = 0; i < 4; i++) order.push((await claimOne(store, T0)).taskId);
      assert.deepEqual(order, [high, high2, mid, low]);
    });

    test('one claim of many, and of several types, hands them out in that order', async (store) => {
      const [a, b, c, d, e] = await submit(
        store,
        T0,
        newTask({ priority: -3 }),
        newTask({ type: 'swap', priority: 2 }),
        newTask(),
        newTask({ type: 'swap' }),
        newTask({ priority: 2 }),
      );
      const leases = await claim(store, T0, { types: ['flip', 'swap'], limit: 4 });
      assert.deepEqual(ids(leases), [b, e, c, d]);
      assert.deepEqual(
        leases.map((l) => l.priority),
        [2, 2, 0, 0],
      );
      assert.deepEqual(ids(await claim(store, T0, { types: ['flip', 'swap'] })), [a]);
    });

    test('equal priorities are leased in submit order (FIFO)', async (store) => {
      const submitted = await submit(
        store,
        T0,
        ...Array.from({ length: 6 }, (_, i) => newTask({ data: i, priority: 7 })),
      );
      const leases = [...(await claim(store, T0, { limit: 2 })), ...(await claim(store, T0))];
      assert.deepEqual(ids(leases), submitted);
    });

    test('a task not due yet is never leased, however high its priority', async (store) => {
      const [later, now] = await submit(
        store,
        T0,
        newTask({ priority: 100, runAt: T0 + 1000 }),
        newTask({ priority: -100 }),
      );
      assert.deepEqual(ids(await claim(store, T0 + 5000)), [now], 'due, but not enqueued yet');
      assert.equal((await mustGet(store, later!)).status, 'scheduled');
      const [newer] = await submit(store, T0 + 2, newTask({ priority: 1 }));
      assert.deepEqual(await store.enqueueDue(T0 + 1000, 100), [{ id: later, type: 'flip' }]);
      assert.deepEqual(ids(await claim(store, T0 + 1000)), [later, newer], 'due: by priority');
    });
  });

  describe('scheduled tasks', () => {
    test('are scheduled with their due time until enqueueDue, then enqueued', async (store) => {
      const [id] = await submit(store, T0, newTask({ runAt: T0 + 500 }));
      const task = await mustGet(store, id!);
      assert.equal(task.status, 'scheduled');
      assert.equal(task.runAt, T0 + 500);
      assert.equal((await store.counts()).scheduled, 1);
      assert.equal(await store.nextRunAt(T0), T0 + 500);
      assert.deepEqual(await store.enqueueDue(T0 + 499, 10), [], 'not due yet');
      assert.deepEqual(await store.enqueueDue(T0 + 500, 10), [{ id, type: 'flip' }]);
      assert.deepEqual(await store.enqueueDue(T0 + 600, 10), [], 'each is enqueued once');
      const enqueued = await mustGet(store, id!);
      assert.equal(enqueued.status, 'enqueued');
      assert.equal(enqueued.runAt, T0 + 500, 'the due time stays');
      assert.equal(await store.nextRunAt(T0 + 600), undefined);
      assert.equal((await claimOne(store, T0 + 600)).taskId, id);
    });

    test('a run-at not after now is an ordinary task, runnable at once', async (store) => {
      const [id] = await submit(store, T0, newTask({ runAt: T0 - 10 }));
      assert.equal((await mustGet(store, id!)).status, 'enqueued');
      assert.equal((await claimOne(store, T0)).taskId, id);
    });

    test('nextRunAt names a due task not yet enqueued, even in the past', async (store) => {
      await submit(store, T0, newTask({ runAt: T0 + 300 }), newTask({ runAt: T0 + 100 }));
      assert.equal(await store.nextRunAt(T0 + 1000), T0 + 100);
    });

    test('enqueueDue takes the earliest due first, at most its limit', async (store) => {
      const [c, a, b] = await submit(
        store,
        T0,
        newTask({ runAt: T0 + 30 }),
        newTask({ runAt: T0 + 10 }),
        newTask({ runAt: T0 + 20 }),
      );
      assert.deepEqual(
        (await store.enqueueDue(T0 + 100, 2)).map((t) => t.id),
        [a, b],
      );
      assert.deepEqual(
        (await store.enqueueDue(T0 + 100, 2)).map((t) => t.id),
        [c],
      );
    });

    test('a scheduled task can be canceled, and is then never enqueued', async (store) => {
      const [id] = await submit(store, T0, newTask({ runAt: T0 + 100 }));
      const [canceled] = (await write(store, T0 + 1, { cancels: [id!] })).cancels;
      assert.ok(canceled?.ok);
      assert.deepEqual(await store.enqueueDue(T0 + 200, 10), []);
      assert.equal((await mustGet(store, id!)).status, 'canceled');
    });
  });

  describe('unique keys', () => {
    test('a submit with a key held by an unfinished task is a duplicate of it', async (store) => {
      const [first] = await submit(store, T0, newTask({ key: 'order-1', data: 'a' }));
      const out = await write(store, T0 + 1, {
        submits: [newTask({ key: 'order-1', data: 'b' }), newTask({ key: 'order-2' })],
      });
      assert.equal(out.ids[0], first);
      assert.deepEqual(out.duplicates, [0]);
      assert.notEqual(out.ids[1], first);
      assert.equal((await mustGet(store, first!)).data, 'a', 'the first stays as it was');
      assert.equal((await mustGet(store, first!)).key, 'order-1');
      assert.equal((await store.counts()).enqueued, 2);
    });

    test('a key is per type; the same key twice in one batch makes one task', async (store) => {
      const out = await write(store, T0, {
        submits: [
          newTask({ key: 'k' }),
          newTask({ key: 'k', type: 'swap' }),
          newTask({ key: 'k' }),
          newTask(),
        ],
      });
      const [a, b, c, d] = out.ids;
      assert.equal(c, a);
      assert.notEqual(b, a);
      assert.ok(d! > b!, 'ids still ascend for the new tasks');
      assert.deepEqual(out.duplicates, [2]);
    });

    test('a finished task holds its key for KEY_HOLD_MS, then lets it go', async (store) => {
      const [id] = await submit(store, T0, newTask({ key: 'nightly' }));
      const lease = await claimOne(store, T0);
      await complete(store, T0 + 10, lease.token, 'ok');
      const again = await write(store, T0 + 10 + KEY_HOLD_MS, {
        submits: [newTask({ key: 'nightly' })],
      });
      assert.deepEqual([again.ids, again.duplicates], [[id], [0]], 'within the hold: a duplicate');
      const later = await write(store, T0 + 11 + KEY_HOLD_MS, {
        submits: [newTask({ key: 'nightly' })],
      });
      assert.deepEqual(later.duplicates, []);
      assert.notEqual(later.ids[0], id);
      assert.equal((await mustGet(store, id!)).key, 'nightly', 'the old task keeps its key');
      const third = await write(store, T0 + 12 + KEY_HOLD_MS, {
        submits: [newTask({ key: 'nightly' })],
      });
      assert.deepEqual(third.ids, later.ids, 'the new task holds it now');
    });

    test('a key and a priority and a delay go together', async (store) => {
      const [id] = await submit(store, T0, newTask({ key: 'x', priority: 3, runAt: T0 + 50 }));
      const task = await mustGet(store, id!);
      assert.deepEqual(
        [task.status, task.priority, task.key, task.runAt],
        ['scheduled', 3, 'x', T0 + 50],
      );
      assert.deepEqual((await write(store, T0, { submits: [newTask({ key: 'x' })] })).ids, [id]);
    });
  });

  describe('cron schedules', () => {
    test('are added, replaced, listed and removed', async (store) => {
      assert.deepEqual(await store.putSchedule(schedule(), T0), { created: true });
      assert.deepEqual(
        await store.putSchedule(
          schedule({ name: 'b', cron: '*/5 * * * *', tz: 'Europe/Paris' }),
          T0,
        ),
        { created: true },
      );
      assert.deepEqual(
        await store.putSchedule(
          schedule({ data: { v: 2 }, priority: 4, nextRun: T0 + 2 * MINUTE }),
          T0 + 1,
        ),
        { created: false },
      );
      const [b, a] = await store.schedules(); // by name
      assert.deepEqual(a, {
        ...schedule({ data: { v: 2 }, priority: 4, nextRun: T0 + 2 * MINUTE }),
        lastRun: null,
        lastTask: null,
        createdAt: T0,
        updatedAt: T0 + 1,
      });
      assert.equal(b?.tz, 'Europe/Paris');
      assert.equal(await store.nextScheduleRun(), T0 + MINUTE);
      assert.equal(await store.removeSchedule('b'), true);
      assert.equal(await store.removeSchedule('b'), false);
      assert.equal(await store.nextScheduleRun(), T0 + 2 * MINUTE);
    });

    test('a tick makes one task for its due time, keyed by it, and moves on', async (store) => {
      await store.putSchedule(schedule({ priority: 2 }), T0);
      assert.deepEqual(await tick(store, T0 + MINUTE - 1), [], 'not due yet');
      const [t] = await tick(store, T0 + MINUTE + 5);
      assert.ok(t);
      assert.deepEqual(
        { ...t, taskId: 0 },
        {
          name: 'every-minute',
          at: T0 + MINUTE,
          taskId: 0,
          type: 'flip',
          duplicate: false,
        },
      );
      const task = await mustGet(store, t.taskId);
      assert.deepEqual(
        [task.status, task.data, task.priority, task.key, task.schedule, task.maxAttempts],
        ['enqueued', 'tick', 2, tickKey('every-minute', T0 + MINUTE), 'every-minute', 3],
      );
      assert.deepEqual(await tick(store, T0 + MINUTE + 6), [], 'each tick runs once');
      const [s] = await store.schedules();
      assert.equal(s?.lastRun, T0 + MINUTE);
      assert.equal(s?.lastTask, t.taskId);
      assert.equal(s?.nextRun, nextMinute(T0 + MINUTE + 5));
      assert.equal((await claimOne(store, T0 + MINUTE + 7)).taskId, t.taskId);
    });

    test('after missed ticks, one catch-up task, then the next tick after now', async (store) => {
      await store.putSchedule(schedule(), T0);
      const later = T0 + 90 * MINUTE + 30_000; // ninety ticks missed
      const ticks = await tick(store, later);
      assert.equal(ticks.length, 1);
      assert.equal(ticks[0]!.at, T0 + MINUTE, 'stamped with the first missed tick');
      assert.equal((await store.counts()).enqueued, 1);
      assert.equal(await store.nextScheduleRun(), nextMinute(later));
    });

    test('a tick whose task exists already (its key is held) makes no second one', async (store) => {
      await store.putSchedule(schedule(), T0);
      const [existing] = await submit(
        store,
        T0,
        newTask({ key: tickKey('every-minute', T0 + MINUTE) }),
      );
      const [t] = await tick(store, T0 + MINUTE);
      assert.deepEqual([t?.taskId, t?.duplicate], [existing, true]);
      assert.equal((await store.counts()).enqueued, 1);
    });

    test('a schedule with no run left is not ticked', async (store) => {
      await store.putSchedule(schedule(), T0);
      await store.tickSchedules(T0 + MINUTE, () => null);
      assert.equal(await store.nextScheduleRun(), undefined);
      assert.deepEqual(await tick(store, T0 + 100 * MINUTE), []);
    });
  });
}
