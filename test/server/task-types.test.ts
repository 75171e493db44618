/**
 * TaskTypes on a shared store: a type it does not know is looked up in the store before it
 * is refused, by a lookup that starts after the submit arrived; lookups are coalesced, so a
 * flood of unknown types costs one query at a time. The store here is a stand-in that
 * answers taskTypes() when the test says so, with what it held when the query started: what
 * is tested is the order of the calls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskTypes } from '../../src/server/scheduling/task-types.ts';
import type { Store } from '../../src/store/types.ts';

/** A shared store whose taskTypes() calls wait until `answer()` releases the oldest. */
function sharedStore() {
  const stored = new Set<string>();
  const pending: Array<() => void> = [];
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const store = {
    capabilities: { exclusive: false, claimsInWrite: false, claimsBesideWrites: true },
    taskTypes: () => {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // The answer is what the store held when the query started (its snapshot).
      const snapshot = [...stored];
      return new Promise<string[]>((resolve) =>
        pending.push(() => {
          inFlight--;
          resolve(snapshot);
        }),
      );
    },
    declareTypes: async (types: readonly string[]) => {
      for (const t of types) stored.add(t);
    },
  } as unknown as Store;
  return {
    store,
    stored,
    stats: () => ({ calls, inFlight, maxInFlight }),
    /** Answers the oldest query; resolves once its callers have run. */
    answer: async () => {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    },
  };
}

const spec = (type: string) => ({ type, data: 'x' });

describe('task types on a shared store', () => {
  it('a type stored while a lookup is under way is accepted by a submit that came after it', async () => {
    const s = sharedStore();
    const types = new TaskTypes(s.store, [], 3);
    // The first submit's lookup starts before the type is stored: it is refused.
    const first = Promise.resolve(types.accept(spec('resize'))).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    s.stored.add('resize'); // another server's worker declared it meanwhile
    const second = types.accept(spec('resize'));
    await s.answer();
    assert.match(await first, /unknown task type "resize"/);
    // The second submit waits for a lookup that started after it, which sees the type.
    assert.equal(s.stats().calls, 2);
    await s.answer();
    assert.equal((await second).type, 'resize');
  });

  it('a flood of unknown types is one query in flight and at most one queued', async () => {
    const s = sharedStore();
    const types = new TaskTypes(s.store, [], 3);
    const submits = Array.from({ length: 100 }, (_, i) =>
      Promise.resolve(types.accept(spec(`nothing-${i}`))).then(
        () => 'accepted',
        (e: Error) => e.message,
      ),
    );
    assert.deepEqual(s.stats(), { calls: 1, inFlight: 1, maxInFlight: 1 });
    await s.answer();
    // The first lookup answered the first submit; the other 99 share the queued one.
    assert.deepEqual(s.stats(), { calls: 2, inFlight: 1, maxInFlight: 1 });
    await s.answer();
    const answers = await Promise.all(submits);
    assert.equal(answers.filter((a) => a.startsWith('unknown task type')).length, 100);
    assert.deepEqual(s.stats(), { calls: 2, inFlight: 0, maxInFlight: 1 });
  });

  it('a known type is answered without asking the store', () => {
    const s = sharedStore();
    const types = new TaskTypes(s.store, ['resize'], 3);
    const row = types.accept(spec('resize'));
    assert.ok(!(row instanceof Promise));
    assert.equal(row.type, 'resize');
    assert.equal(s.stats().calls, 0);
  });
});
