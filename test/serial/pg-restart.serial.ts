/**
 * PostgreSQL restarted under load. Runs on its own after the main suite (`npm test` runs
 * test/serial/ last, one file at a time): restarting the database would break every other
 * test using it at that moment.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connect } from '../../src/client/client.ts';
import { createTestDatabase, pgAvailable, withAdmin } from '../support/postgres.ts';
import { spawnServer, spawnWorker } from '../support/process.ts';

const run = promisify(execFile);

/** How to restart the local cluster, or why this machine cannot. */
function restartCommand(): { args: string[] } | { skip: string } {
  let versions: string[] = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    // no Debian cluster layout
  }
  if (versions.length === 0 || process.getuid?.() !== 0) {
    const why = 'restarting PostgreSQL needs a Debian cluster (pg_ctlcluster) and root';
    if (process.env.CI) throw new Error(`${why}: required in CI`);
    return { skip: why };
  }
  return { args: ['--skip-systemctl-redirect', versions[0]!, 'main', 'restart', '-m', 'fast'] };
}

const available = await pgAvailable();
const restart = 'skip' in available ? available : restartCommand();

describe('PostgreSQL restarted under load', { skip: 'skip' in restart && restart.skip }, () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('loses no acknowledged task, answers STORE_UNAVAILABLE meanwhile, and resumes by itself', async (t) => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const server = await spawnServer(['--store', db.url, '--no-local', '--lease', '1']);
    cleanups.push(() => server.child.kill('SIGKILL'));
    const worker = await spawnWorker(server.port, 'w', [
      '--concurrency',
      '8',
      '--delay-scale',
      '0.002',
    ]);
    cleanups.push(() => worker.child.kill('SIGKILL'));
    const client = await connect({ port: server.port });
    cleanups.push(() => client.close());

    const acked: string[] = [];
    const refusals: string[] = [];
    let restarted = false;
    let ackedAfterRestart = 0;
    let batch = 0;
    let loaded!: () => void;
    const underLoad = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    const submitting = (async () => {
      while (ackedAfterRestart < 100) {
        const tasks = Array.from({ length: 10 }, (_, i) => ({
          type: 'flip',
          data: `b${batch}-${i}`,
        }));
        batch += 1;
        try {
          const ids = await client.submitMany(tasks);
          acked.push(...ids);
          if (acked.length >= 100) loaded();
          if (restarted) ackedAfterRestart += ids.length;
        } catch (error) {
          refusals.push((error as Error).message);
        }
      }
    })();
    await underLoad;
    await run('pg_ctlcluster', (restart as { args: string[] }).args);
    restarted = true;
    await submitting;

    const views = await Promise.all(acked.map((id) => client.wait(id)));
    assert.ok(
      views.every((v) => v.status === 'done'),
      'every acknowledged task is done',
    );
    const rows = await withAdmin(db.url, async (c) => {
      const { rows } = await c.query(
        // A single-unit task's successful attempt stays on its row (migration 008).
        `SELECT t.id::text AS id, t.status,
                (count(l.token) FILTER (WHERE l.state = 'done')
                 + CASE WHEN t.status = 'done' AND t.lease_token IS NOT NULL THEN 1 ELSE 0 END
                )::int AS done
         FROM tasks t LEFT JOIN leases l ON l.task_id = t.id GROUP BY t.id`,
      );
      return rows as { id: string; status: string; done: number }[];
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of acked) {
      assert.equal(byId.get(id)?.status, 'done', `acknowledged task ${id} is stored and done`);
      assert.equal(byId.get(id)?.done, 1, `task ${id} done by exactly one attempt`);
    }
    t.diagnostic(`${acked.length} acknowledged, ${refusals.length} refused: ${refusals[0]}`);
    assert.ok(refusals.length > 0, 'submits made while the database was down were refused');
    for (const message of refusals) assert.match(message, /store|unavailable|terminat|connect/i);
    assert.equal((await client.ping()).store, 'ok', 'the server says the store is back');
  });
});
