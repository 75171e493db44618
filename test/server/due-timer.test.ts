/** The one due timer: fires for the earliest time, handles what is due, goes on to the next. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { DueTimer } from '../../src/server/scheduling/due-timer.ts';

/** A timer over a list of due times, on the real clock; `handled` lists what onDue took. */
function timer(times: number[]) {
  const handled: number[] = [];
  let fired!: () => void;
  const firedAll = new Promise<void>((resolve) => {
    fired = resolve;
  });
  const t = new DueTimer({
    now: Date.now,
    next: async () => (times.length > 0 ? Math.min(...times) : undefined),
    onDue: () => {
      const now = Date.now();
      const due = times.filter((x) => x <= now);
      times.splice(0, times.length, ...times.filter((x) => x > now));
      handled.push(...due);
      if (times.length === 0) fired();
      return due.length > 0;
    },
    onError: (e) => {
      throw e;
    },
    what: 'test',
  });
  return {
    t,
    handled,
    done: () => firedAll,
  };
}

describe('DueTimer', () => {
  it('fires for each due time in turn, reading the next from its source', async () => {
    const now = Date.now();
    const times = [now + 30, now + 10, now + 20];
    const { t, handled, done } = timer(times);
    await t.start();
    await done();
    t.stop();
    assert.deepEqual(handled.sort(), [now + 10, now + 20, now + 30]);
  });

  it('a nearer time moves it; a time already past is handled at once', async () => {
    const now = Date.now();
    const times = [now + 60_000];
    const { t, handled } = timer(times);
    await t.start();
    times.push(now - 1);
    t.schedule(now - 1); // due already: fires at once, not at the far time
    await new Promise<void>((resolve) => {
      const check = () => (handled.length > 0 ? resolve() : setImmediate(check));
      check();
    });
    t.stop();
    assert.deepEqual(handled, [now - 1]);
  });

  it('a time beyond what setTimeout can wait (24.8 days) waits, without an overflow warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const { t, handled } = timer([Date.now() + 40 * 24 * 3_600_000]);
    await t.start();
    for (let i = 0; i < 5; i++) await turn();
    t.stop();
    process.off('warning', onWarning);
    assert.deepEqual(handled, []);
    assert.deepEqual(warnings, []);
  });
});
