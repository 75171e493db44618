/**
 * A constant load through a short retention keeps the SQLite file at a constant size: the
 * pages retention frees are reused. Thousands of tasks go through a server with an injected
 * clock, round after round; after each round the WAL is checkpointed into the file (and
 * truncated), so the file's size is the pages the store holds, used or free. After a warm-up
 * it stays within a bound however many more rounds run.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { startServer } from '../support/server.ts';

const ROUND = 1000;
const ROUNDS = 20;
const WARM_UP = 6;
const STEP_MS = 4000;
const RETENTION_MS = 10_000;

describe('retention keeps the SQLite file from growing', () => {
  it(`${ROUNDS} rounds of ${ROUND} tasks through a 10 s retention: the file stops growing`, async () => {
    let clock = 1_800_000_000_000;
    await using ts = await startServer({
      now: () => clock,
      delayScale: 0,
      concurrency: 64,
      retentionMs: RETENTION_MS,
      pruneIntervalMs: 5,
    });
    await using client = await connect({ port: ts.port });
    const store = ts.store as SqliteStore;
    const sizes: number[] = [];
    const lastIds: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // The round three back finished 12 s before this one: past the 10 s retention.
      const old = lastIds[round - 3];
      const pruned =
        old === undefined
          ? undefined
          : ts.server.events.next('task:pruned', (e) => e.tasks.some((t) => String(t.id) === old));
      clock += STEP_MS;
      // Pruned before the round runs: at most three rounds are ever in the file at once.
      await pruned;
      const done = await Promise.all(
        Array.from({ length: ROUND }, (_, i) =>
          client.run('noop', { round, i, pad: 'x'.repeat(64) }),
        ),
      );
      assert.ok(done.every((t) => t.status === 'done'));
      lastIds.push(done.at(-1)!.id);
      store.pragma('wal_checkpoint(TRUNCATE)');
      sizes.push(statSync(ts.db).size);
    }
    const counts = await store.counts();
    assert.equal(counts.done, 3 * ROUND, 'the last three rounds are kept');
    const warm = Math.max(...sizes.slice(0, WARM_UP));
    const after = sizes.slice(WARM_UP);
    const bound = warm * 1.1;
    assert.ok(
      after.every((s) => s <= bound),
      `after the warm-up the file stays within 10 % of ${warm} bytes: ${sizes.join(', ')}`,
    );
  });
});
