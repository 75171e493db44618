/**
 * kill -9 of the server while clients submit: every acknowledged task survives, tasks that
 * were processing run again, done tasks keep their results. A real child process, the
 * default durability mode (WAL, synchronous=NORMAL).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flip } from '../../src/handlers/builtins.ts';
import { spawnServer } from '../support/process.ts';
import { RawClient, tempDir } from '../support/server.ts';

describe('crash safety', () => {
  it('loses no acknowledged task and no stored result across SIGKILL', {
    timeout: 60_000,
  }, async () => {
    const tmp = tempDir();
    const db = join(tmp.dir, 'crash.db');
    try {
      // flip takes 20 ms: some tasks are done, one is processing, most are queued at the kill.
      const first = await spawnServer(['--db', db, '--delay-scale', '0.01']);
      const acked = new Map<string, string>();
      const results = new Map<string, string>();
      const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(first.port)));
      let stop = false;
      const submitters = clients.map(async (c, n) => {
        for (let i = 0; !stop; i++) {
          const data = `c${n}-task${i}-é😀`;
          try {
            const reply = await c.call('submit', { type: 'flip', data });
            acked.set(reply.result.id, data);
          } catch {
            return; // the connection died with the server: this submit was never acknowledged
          }
        }
      });
      // Wait for some results to be stored, then kill while submits are in flight.
      const watcher = await RawClient.connect(first.port);
      while (results.size < 3) {
        const ids = [...acked.keys()].slice(results.size, results.size + 1);
        for (const id of ids) {
          const done = await watcher.call('wait', { id });
          results.set(id, done.result.result);
        }
        if (ids.length === 0) await watcher.call('ping');
      }
      while (acked.size < 300) await watcher.call('ping');
      first.child.kill('SIGKILL');
      const exit = await first.exited;
      assert.equal(exit.signal, 'SIGKILL');
      stop = true;
      await Promise.all(submitters);
      for (const c of [...clients, watcher]) c.close();

      const second = await spawnServer([
        '--db',
        db,
        '--delay-scale',
        '0.0001',
        '--concurrency',
        '4',
      ]);
      const c = await RawClient.connect(second.port);
      for (const [id, result] of results) {
        const s = await c.call('status', { id });
        assert.equal(s.result.status, 'done');
        assert.equal(s.result.result, result, `task ${id} keeps its result`);
      }
      const released = second.logs.find((l) => l.released !== undefined);
      assert.ok(released, 'the task that was processing at the kill went back to the queue');
      for (const [id, data] of acked) {
        const done = await c.call('wait', { id });
        assert.equal(done.result?.status, 'done', `acknowledged task ${id} survived`);
        assert.equal(done.result.data, data);
        assert.equal(done.result.result, flip(data));
      }
      c.close();
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    } finally {
      tmp.remove();
    }
  });
});
