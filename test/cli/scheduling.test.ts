/** The CLI's scheduling flags and the schedule command, end to end against a real server. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { connect } from '../../src/client/client.ts';
import { spawnCli, taskwire } from '../support/process.ts';
import { startServer } from '../support/server.ts';

describe('taskwire task scheduling flags', () => {
  it('--priority and --key: status shows them; the same key again is a duplicate', async () => {
    await using t = await startServer({ local: false, types: ['flip'] });
    const first = await taskwire(t.port, 'task', 'flip', 'abc', '--priority', '7', '--key', 'k1');
    assert.equal(first.code, 0, first.stderr);
    const id = first.stdout.trim();
    const again = await taskwire(t.port, 'task', 'flip', 'xyz', '--key', 'k1', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { id, duplicate: true });
    assert.match(again.stderr, new RegExp(`task ${id} already holds key "k1"`));
    const status = await taskwire(t.port, 'status', id);
    assert.match(status.stdout, /priority: 7/);
    assert.match(status.stdout, /key: k1/);
    const json = JSON.parse((await taskwire(t.port, 'status', id, '--json')).stdout);
    assert.deepEqual([json.priority, json.key, json.data], [7, 'k1', 'abc']);
  });

  it('--delay: scheduled with its due time until due; wait waits through the delay', async () => {
    // The server's clock is injected: the hour's delay passes when the test says so.
    let offset = 0;
    const now = () => Date.now() + offset;
    await using t = await startServer({ delayScale: 0, now });
    const submitted = await taskwire(t.port, 'task', 'flip', 'later', '--delay', '1h');
    const id = submitted.stdout.trim();
    const [status, text] = await Promise.all([
      taskwire(t.port, 'status', id, '--json'),
      taskwire(t.port, 'status', id),
    ]);
    const task = JSON.parse(status.stdout);
    assert.equal(task.status, 'scheduled');
    // Due an hour after the server took the request; created when its batch committed, which
    // may be a millisecond later.
    const delay = Date.parse(task.runAt) - Date.parse(task.createdAt);
    assert.ok(delay <= 3_600_000 && delay > 3_599_000, `due ${delay} ms after its creation`);
    assert.match(text.stdout, /scheduled until .*\n.*\n\s+due: /);
    const wait = spawnCli(['wait', id], { TASKWIRE_PORT: String(t.port) });
    const lines: string[] = [];
    const waiting = new Promise<void>((resolve) => {
      createInterface({ input: wait.stdout! }).on('line', (line) => {
        lines.push(line);
        if (line === `${id}: scheduled`) resolve();
      });
    });
    const exited = once(wait, 'exit');
    await waiting; // the wait is in place, the task still scheduled
    offset = 3_600_000;
    // A task due in a millisecond moves the one timer; when it fires, the first is due too.
    await using client = await connect({ port: t.port });
    await client.submit('flip', 'now', { delay: 1 });
    const [code] = await exited;
    assert.equal(code, 0);
    assert.equal(lines[0], `${id}: scheduled`, 'wait started while it was scheduled');
    assert.equal(lines.at(-1), 'retal');
  });

  it('--at: due at that time', async () => {
    await using t = await startServer({ local: false, types: ['noop'] });
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const submitted = await taskwire(t.port, 'task', 'noop', '{"x":1}', '--at', at, '--json');
    const { id } = JSON.parse(submitted.stdout);
    const task = JSON.parse((await taskwire(t.port, 'status', id, '--json')).stdout);
    assert.deepEqual([task.status, task.runAt, task.data], ['scheduled', at, { x: 1 }]);
  });

  it('refuses bad values with a clear usage error (exit 2) and submits nothing', async () => {
    await using t = await startServer({ local: false, types: ['flip'] });
    const cases: [string[], RegExp][] = [
      [['--delay', '-5s'], /delay cannot be negative/],
      [['--delay', '5 minutes'], /expected a duration such as 500ms, 30s/],
      [['--at', '2020-01-01T00:00:00Z'], /in the past; at most 60 s ago/],
      [['--priority', '1001'], /from -1000 to 1000/],
      [['--key', 'k'.repeat(257)], /1 to 256 characters/],
      [['--delay', '1s', '--at', new Date(Date.now() + 60_000).toISOString()], /not both/],
    ];
    for (const [flags, message] of cases) {
      const r = await taskwire(t.port, 'task', 'flip', 'x', ...flags);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const counts = await t.store.counts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
    );
  });
});

describe('taskwire schedule', () => {
  it('add, list (also --json), remove; each tick submits a task', async () => {
    await using t = await startServer({ delayScale: 0 });
    const added = await taskwire(
      t.port,
      'schedule',
      'add',
      'beat',
      'flip',
      'tick',
      '--cron',
      '* * * * * *',
      '--tz',
      'Europe/Paris',
      '--priority',
      '2',
    );
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^schedule beat added; next run \d{4}-/);
    await t.server.events.next('schedule:ticked');
    const table = await taskwire(t.port, 'schedule', 'list');
    assert.match(table.stdout, /^NAME\s+CRON\s+TZ\s+TYPE\s+NEXT RUN\s+LAST RUN\s+LAST TASK\n/);
    assert.match(table.stdout, /beat\s+\* \* \* \* \* \*\s+Europe\/Paris\s+flip\s+\d{4}-/);
    const [listed] = JSON.parse((await taskwire(t.port, 'schedule', 'list', '--json')).stdout);
    assert.deepEqual(
      [listed.name, listed.tz, listed.priority, listed.data],
      ['beat', 'Europe/Paris', 2, 'tick'],
    );
    const task = JSON.parse((await taskwire(t.port, 'status', listed.lastTask, '--json')).stdout);
    assert.deepEqual([task.schedule, task.priority], ['beat', 2]);
    assert.equal((await taskwire(t.port, 'schedule', 'remove', 'beat')).code, 0);
    const gone = await taskwire(t.port, 'schedule', 'remove', 'beat');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no such schedule: beat/);
    assert.equal((await taskwire(t.port, 'schedule', 'list')).stdout, 'no schedules\n');
  });

  it("refuses a bad expression with croner's reason and an unknown time zone", async () => {
    await using t = await startServer();
    const bad = await taskwire(t.port, 'schedule', 'add', 'x', 'flip', 'a', '--cron', '61 * * * *');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid cron expression "61 \* \* \* \*": .*minute: 61/);
    const tz = await taskwire(
      t.port,
      'schedule',
      'add',
      'x',
      'flip',
      'a',
      '--cron',
      '* * * * *',
      '--tz',
      'Mars/Base',
    );
    assert.equal(tz.code, 2);
    assert.match(tz.stderr, /unknown time zone 'Mars\/Base'/);
    assert.equal((await taskwire(t.port, 'schedule', 'list')).stdout, 'no schedules\n');
  });
});
