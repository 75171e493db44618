/**
 * A request that waits on a task (`run`, `wait`) hooks the connection's close, so that a
 * client that leaves takes its waiter with it. The hook must go when the request ends:
 * otherwise a client making many requests over one connection grows the server's memory
 * by one hook per request, forever.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Committer } from '../../src/server/committer.ts';
import { TaskTypes } from '../../src/server/scheduling/task-types.ts';
import { type Core, dispatch, type Session } from '../../src/server/session/dispatch.ts';
import { Waiters } from '../../src/server/waiters.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { isRecord } from '../../src/store/types.ts';
import { tempDir } from '../support/server.ts';

/** A connection that keeps its close hooks where the test can count and run them. */
class FakeSession implements Session {
  readonly remote = 'test';
  readonly hooks = new Set<() => void>();
  notify(): void {}
  onClose(fn: () => void): () => void {
    const hook = () => fn();
    this.hooks.add(hook);
    return () => void this.hooks.delete(hook);
  }
  becomeWorker(): never {
    throw new Error('not a worker');
  }
  authenticate(): { roles: string[] } {
    return { roles: [] };
  }
  close(): void {
    for (const fn of this.hooks) fn();
    this.hooks.clear();
  }
}

/** The parts of the server that `run` and `wait` use, on a real store; `finish` completes a task. */
async function withCore(
  fn: (core: Core, finish: (taskId: number) => Promise<void>) => Promise<void>,
): Promise<void> {
  const tmp = tempDir();
  const store = new SqliteStore({ path: join(tmp.dir, 'db') });
  await store.open();
  const now = () => 1_700_000_000_000;
  const waiters = new Waiters();
  const committer = new Committer(store, { now });
  committer.listen({
    committed: (_batch, outcome) => {
      for (const t of outcome.completions) if (t && isRecord(t)) waiters.changed(t);
    },
  });
  const core = {
    store,
    committer,
    waiters,
    types: new TaskTypes(store, ['noop'], 3),
    now,
  } as unknown as Core;
  const finish = async (taskId: number) => {
    const leases = await store.claim({
      worker: 'w',
      types: ['noop'],
      limit: 10,
      now: now(),
      leaseMs: 60_000,
    });
    const lease = leases.find((l) => l.taskId === taskId);
    assert.ok(lease, `task ${taskId} was not leased`);
    await committer.completeMany([{ token: lease.token, result: 'r', units: 1 }]);
  };
  try {
    await fn(core, finish);
  } finally {
    await committer.drain();
    await store.close();
    tmp.remove();
  }
}

describe('close hooks of waiting requests', () => {
  it('a finished run leaves no hook on its connection', () =>
    withCore(async (core, finish) => {
      const session = new FakeSession();
      for (let i = 0; i < 3; i++) {
        const answer = dispatch(core, session, 'run', { type: 'noop', data: i });
        await core.committer.drain();
        assert.equal(session.hooks.size, 1, 'the running request is hooked to the close');
        await finish(i + 1);
        assert.equal((await answer).status, 'done');
        assert.equal(session.hooks.size, 0, `run ${i} left its close hook behind`);
      }
    }));

  it('a finished wait leaves no hook on its connection', () =>
    withCore(async (core, finish) => {
      const session = new FakeSession();
      const { id } = await dispatch(core, session, 'submit', { type: 'noop', data: 1 });
      const answer = dispatch(core, session, 'wait', { id });
      await core.committer.drain();
      await finish(Number(id));
      assert.equal((await answer).status, 'done');
      assert.equal(session.hooks.size, 0);
    }));

  it('a wait on a task already done leaves no hook', () =>
    withCore(async (core, finish) => {
      const session = new FakeSession();
      const { id } = await dispatch(core, session, 'submit', { type: 'noop', data: 1 });
      await finish(Number(id));
      assert.equal((await dispatch(core, session, 'wait', { id })).status, 'done');
      assert.equal(session.hooks.size, 0);
    }));

  it('a connection that closes mid-wait takes its waiter with it', () =>
    withCore(async (core) => {
      const session = new FakeSession();
      const { id } = await dispatch(core, session, 'submit', { type: 'noop', data: 1 });
      void dispatch(core, session, 'wait', { id });
      await core.committer.drain();
      // The wait's read of the task is behind it too once a second read has answered.
      await core.store.get(Number(id));
      assert.equal(core.waiters.size, 1);
      session.close();
      assert.equal(core.waiters.size, 0);
    }));
});
