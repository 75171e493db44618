/** Scheduler races that need a store answering asynchronously (as PostgreSQL does). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { ClaimRequest, Lease, WriteBatch, WriteOutcome } from '../../src/store/types.ts';
import { startServer, tempDir } from '../support/server.ts';

/**
 * A SQLite store whose claims can be held after they ran, like a slow network round trip;
 * it claims on its own, as PostgreSQL does, not inside writes.
 */
class GatedStore extends SqliteStore {
  override readonly capabilities = {
    exclusive: true,
    claimsInWrite: false,
    claimsBesideWrites: false,
  };
  gate: Promise<void> | undefined;
  claimed: (() => void) | undefined;

  override async claim(req: ClaimRequest): Promise<Lease[]> {
    return this.held(await super.claim(req));
  }

  private async held<T>(result: T): Promise<T> {
    if (this.gate) {
      this.claimed?.();
      await this.gate;
    }
    return result;
  }
}

/** A SQLite store that counts its transactions that write (claims included). */
class CountingStore extends SqliteStore {
  writes = 0;

  override async write(batch: WriteBatch): Promise<WriteOutcome> {
    this.writes += 1;
    return super.write(batch);
  }

  override async claim(req: ClaimRequest): Promise<Lease[]> {
    this.writes += 1;
    return super.claim(req);
  }
}

/** A SQLite store that returns every report as the task's state alone, never the whole task. */
class SlimStore extends SqliteStore {
  override async write(batch: WriteBatch): Promise<WriteOutcome> {
    return super.write({ ...batch, full: () => false });
  }
}

describe('scheduler', () => {
  it("a report that comes back without the whole task still reaches the task's waiters", async () => {
    const tmp = tempDir();
    await using t = await startServer({ store: new SlimStore({ path: join(tmp.dir, 'db') }) });
    await using client = await connect({ port: t.port });
    // wait and run alike: the server reads the task for them.
    const id = await client.submit('flip', 'abc');
    const [waited, ran] = await Promise.all([client.wait(id), client.run('flip', 'xyz')]);
    assert.equal(waited.result, 'cba');
    assert.equal(ran.result, 'zyx');
    tmp.remove();
  });

  it('a submit and the lease of its task share one commit; a completion, the next lease', async () => {
    const tmp = tempDir();
    const store = new CountingStore({ path: join(tmp.dir, 'db') });
    await using t = await startServer({ store, concurrency: 1, delayScale: 0 });
    await using client = await connect({ port: t.port });
    // After a first run the server's start-up claims (finding every type empty) are behind.
    await client.run('noop', 'first');
    // One at a time: each run is a commit of the submit and its lease, then one of the result.
    const before = store.writes;
    for (let i = 0; i < 10; i++) assert.equal((await client.run('noop', `r${i}`)).status, 'done');
    assert.equal(store.writes - before, 20);
    // A queue of 10: one commit stores them all and leases the first; each completion's
    // commit leases the next, so the executor never waits a commit for its next task.
    const queued = store.writes;
    const ids = await client.submitMany(
      Array.from({ length: 10 }, (_, i) => ({ type: 'noop', data: `q${i}` })),
    );
    const done = await Promise.all(ids.map((id) => client.wait(id)));
    assert.ok(done.every((task) => task.status === 'done'));
    assert.equal(store.writes - queued, 11);
    for (let i = 1; i < done.length; i++) {
      assert.ok(done[i]!.startedAt! >= done[i - 1]!.finishedAt!, 'one at a time, in order');
    }
    tmp.remove();
  });

  it('a task submitted while a short claim is in flight is not forgotten (no lost wake-up)', async () => {
    const tmp = tempDir();
    const store = new GatedStore({ path: join(tmp.dir, 'db') });
    await using t = await startServer({ store, concurrency: 2, delayScale: 0 });
    const client = await connect({ port: t.port });
    let open!: () => void;
    store.gate = new Promise((resolve) => {
      open = resolve;
    });
    const inClaim = new Promise<void>((resolve) => {
      store.claimed = resolve;
    });
    // The claim for A finds only A (fewer than the 2 free slots) and is held...
    const a = await client.submit('noop', 'a');
    await inClaim;
    // ...while B commits. The short claim must not mark the type exhausted after B appeared.
    const b = await client.submit('noop', 'b');
    store.gate = undefined;
    open();
    assert.equal((await client.wait(a)).status, 'done');
    assert.equal((await client.wait(b)).status, 'done');
    await client.close();
    tmp.remove();
  });
});
