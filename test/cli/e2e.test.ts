/** The CLI against a real server: the README's quick start and the exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { CLI, taskwire } from '../support/process.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

describe('taskwire CLI end to end', () => {
  it('task flip hello --packet prints olleh', async () => {
    await using t = await startServer();
    const r = await taskwire(t.port, 'task', 'flip', 'hello', '--packet');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'olleh');
    assert.match(lines[0]!, /^[0-9]+$/, 'the id comes first');
  });

  it('task prints the id; status, wait and cancel work on it', async () => {
    await using t = await startServer({ delayScale: 0.0001 });
    const submitted = await taskwire(t.port, 'task', '2', 'swap', '--json');
    const { id } = JSON.parse(submitted.stdout);
    const waited = await taskwire(t.port, 'wait', id);
    assert.equal(waited.code, 0);
    assert.equal(waited.stdout.trim().split('\n').at(-1), 'wspa');
    const status = await taskwire(t.port, 'status', id, '--json');
    assert.equal(JSON.parse(status.stdout).status, 'done');
    const cancel = await taskwire(t.port, 'cancel', id);
    assert.equal(cancel.code, 1, 'a done task cannot be canceled');
    assert.match(cancel.stderr, /a finished task cannot be canceled/);
    const missing = await taskwire(t.port, 'status', '999999');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such task/);
  });

  it('ping exits 0 while the store works, 1 once it fails, and 3 with no server', async () => {
    const tmp = tempDir();
    const store = new SqliteStore({ path: join(tmp.dir, 'full.db'), maxPageCount: 40 });
    // No executor: nothing else commits after the failed write (a commit that succeeds
    // reports the store available again).
    await using t = await startServer({ store, local: false, types: ['noop'] });
    const ok = await taskwire(t.port, 'ping');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /store ok/);
    // Fill the capped file until a write fails: the store is then unavailable.
    const c = await RawClient.connect(t.port);
    for (let i = 0; i < 500; i++) {
      const r = await c.call('submitMany', {
        tasks: Array.from({ length: 20 }, () => ({ type: 'noop', data: 'x'.repeat(300) })),
      });
      if (r.error) break;
    }
    c.close();
    const down = await taskwire(t.port, 'ping', '--json');
    assert.equal(down.code, 1);
    assert.equal(JSON.parse(down.stdout).store, 'unavailable');
    await t[Symbol.asyncDispose]();
    assert.equal((await taskwire(t.port, 'ping')).code, 3);
    tmp.remove();
  });

  it('task --data-file reads large data from a file, or from stdin with -', async () => {
    await using t = await startServer({ delayScale: 0.0001 });
    const tmp = tempDir();
    const big = 'ab'.repeat(100_000);
    const file = join(tmp.dir, 'data.txt');
    writeFileSync(file, `${big}\n`);
    const r = await taskwire(t.port, 'task', 'flip', '--data-file', file, '--packet', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1)!).result, 'ba'.repeat(100_000));
    const piped = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', CLI, 'task', 'flip', '--data-file', '-', '--packet'],
        { env: { ...process.env, TASKWIRE_PORT: String(t.port) } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      child.stdin!.end('stdin data');
    });
    assert.equal(piped.trim().split('\n').at(-1), 'atad nidts');
    const both = await taskwire(t.port, 'task', 'flip', 'x', '--data-file', file);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /DATA or --data-file, not both/);
    tmp.remove();
  });

  it('a bad task type is refused with one line and exit code 1', async () => {
    await using t = await startServer();
    const r = await taskwire(t.port, 'task', 'teleport', 'x');
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown task type/);
  });

  it('workers lists the built-in executor and a connected worker', async () => {
    await using t = await startServer();
    const r = await taskwire(t.port, 'workers', '--json');
    assert.equal(r.code, 0, r.stderr);
    const workers = JSON.parse(r.stdout);
    assert.equal(workers[0].name, 'local');
    assert.deepEqual(workers[0].types, ['flip', 'swap', 'repeat', 'tally', 'noop']);
  });

  it('tally runs to completion and prints a summary; tally status finds it again', async () => {
    await using t = await startServer({ concurrency: 4 });
    const none = await taskwire(t.port, 'tally', 'status');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no tally has been created yet/);
    const r = await taskwire(t.port, 'tally', '--keys', '6', '--reps', '3', '--json');
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.keysDone, 6);
    assert.ok(summary.unitsMin >= 3);
    assert.deepEqual(summary.workers, ['local']);
    const again = await taskwire(0, 'tally', 'status', summary.id, '-P', String(t.port));
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`^tally ${summary.id}: 6 keys × 3 reps, 6/6 keys done, done in`),
    );
    assert.match(again.stdout, /units per key: min \d+, max \d+; total units \d+/);
  });
});

/** The commands of README's quick start, in order (without `npm start &`). */
function quickStart(): string[][] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = section.slice(
    section.indexOf('```sh') + 5,
    section.indexOf('```', section.indexOf('```sh') + 5),
  );
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.startsWith('npx taskwire '))
    .map((line) => line.slice('npx taskwire '.length).split(/\s+/));
}

describe("README's quick start", () => {
  it('does what its comments say, on a fresh server with the real delays', {
    timeout: 60_000,
  }, async () => {
    await using t = await startServer({ delayScale: 1 });
    const commands = quickStart();
    assert.deepEqual(commands, [
      ['task', 'flip', 'hello', '--packet'],
      ['task', 'repeat', 'abc'],
      ['task', 'swap', 'later'],
      ['status', '2'],
      ['cancel', '3'],
      ['wait', '2'],
    ]);
    const out: string[] = [];
    for (const args of commands) {
      const r = await taskwire(t.port, ...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      out.push(r.stdout.trim());
    }
    assert.match(out[0]!, /^1\n[\s\S]*olleh$/);
    assert.equal(out[1], '2');
    assert.equal(out[2], '3');
    assert.match(out[3]!, /^2: processing/);
    assert.equal(out[4], '3: canceled');
    assert.equal(out[5]!.split('\n').at(-1), 'abbccc');
  });
});
