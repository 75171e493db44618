/**
 * The seed-003 tally: native worker processes under SIGKILL chaos, and the original framing
 * spoken by a Python worker beside native ones.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connect } from '../../src/client/client.ts';
import { builtinHandlers } from '../../src/handlers/builtin-handlers.ts';
import { Worker } from '../../src/worker/worker.ts';
import { reportedUnits, spawnWorker, type WorkerProcess } from '../support/process.ts';
import { startServer } from '../support/server.ts';

const run = promisify(execFile);

describe('tally', () => {
  it('completes 200 keys × 5 reps while workers are killed and replaced; every unit adds up', {
    timeout: 60_000,
  }, async () => {
    await using t = await startServer({ local: false, leaseMs: 5000 });
    // 30 ms a unit: the tally takes a few seconds, so the kills land while it runs.
    const args = ['--types', 'tally', '--delay-scale', '0.3', '--concurrency', '2'];
    const workers: WorkerProcess[] = await Promise.all(
      Array.from({ length: 6 }, (_, i) => spawnWorker(t.port, `w${i}`, args)),
    );
    const client = await connect({ port: t.port });
    // Two kills at random moments, counted in keys done since the start, each followed by
    // a new worker.
    const kills = [
      { victim: 1, at: 20 + Math.floor(Math.random() * 40) },
      { victim: 4, at: 80 + Math.floor(Math.random() * 40) },
    ];
    const replacements: Promise<WorkerProcess>[] = [];
    const doneKeys = new Set<number>();
    const all = new Promise<void>((resolve) => {
      t.server.events.on('task:changed', ({ task }) => {
        if (task.type !== 'tally' || task.status !== 'done' || doneKeys.has(task.id)) return;
        doneKeys.add(task.id);
        for (const k of kills) {
          if (doneKeys.size !== k.at) continue;
          workers[k.victim]!.child.kill('SIGKILL');
          replacements.push(spawnWorker(t.port, `new${k.victim}`, args));
        }
        if (doneKeys.size === 200) resolve();
      });
    });
    const { id } = await client.call('tally.create', { keys: 200, reps: 5 });
    await all;
    workers.push(...(await Promise.all(replacements)));
    assert.equal(replacements.length, 2, 'both kills happened while the tally ran');
    // Stop the survivors first: leases still in flight finish and are counted.
    const survivors = workers.filter((w) => w.child.signalCode !== 'SIGKILL');
    assert.equal(survivors.length, 6);
    for (const w of survivors) w.child.kill('SIGTERM');
    for (const w of survivors) assert.equal((await w.exited).code, 0);

    const summary = await client.call('tally.status', { id });
    assert.equal(summary.keysDone, 200);
    assert.ok(summary.unitsMin >= 5, `every key reached reps (min ${summary.unitsMin})`);
    assert.ok(summary.finishedAt);
    // The tally was the first submission: its tasks are ids 1..200, keys 0..199.
    const views = await Promise.all(
      Array.from({ length: 200 }, (_, k) => client.status(String(k + 1), { attempts: true })),
    );
    const doneUnitsBy = new Map<string, number>();
    let storedTotal = 0;
    for (const v of views) {
      assert.deepEqual(v.data, { tally: Number(id), key: Number(v.id) - 1 });
      const accepted = (v.attemptLog ?? []).filter((a) => a.state === 'done');
      const units = accepted.reduce((sum, a) => sum + (a.units ?? 0), 0);
      assert.equal(units, v.unitsDone, `task ${v.id}: accepted reports add up to the stored count`);
      storedTotal += v.unitsDone;
      for (const a of accepted) {
        const name = a.worker.split('@')[0]!;
        doneUnitsBy.set(name, (doneUnitsBy.get(name) ?? 0) + (a.units ?? 0));
      }
    }
    assert.equal(storedTotal, summary.unitsTotal);
    for (const w of survivors) {
      assert.equal(
        reportedUnits(w.stderr()),
        doneUnitsBy.get(w.name) ?? 0,
        `${w.name}: the units it was told were accepted are the stored ones`,
      );
    }
    await client.close();
  });

  it('a Python worker speaking the original framing, one byte at a time, completes a tally beside native workers', {
    timeout: 60_000,
  }, async () => {
    await using t = await startServer({ local: false, tally: { port: 0, keys: 20, reps: 3 } });
    // The native worker is slow enough that the Python worker gets its share of keys.
    const native = new Worker({ port: t.port, name: 'native', concurrency: 1 });
    native.handle('tally', builtinHandlers(0.5).get('tally')!);
    await native.start();
    const { stdout } = await run('python3', [
      '-c',
      PYTHON_WORKER,
      String(t.server.tallyAddress!.port),
    ]);
    const [counted, duplicates, waits] = stdout.trim().split(' ').map(Number) as [
      number,
      number,
      number,
    ];
    // The native worker may still finish a unit of a key that already reached its reps (a
    // multi-unit task is leased to several workers at once): its units count too, so the
    // summary is read once it has stopped.
    await native.close();
    const client = await connect({ port: t.port });
    const summary = await client.call('tally.status', {});
    assert.equal(summary.name, 'legacy');
    assert.equal(summary.keysDone, 20);
    assert.ok(summary.unitsMin >= 3);
    assert.ok(counted > 0, 'the Python worker did some keys');
    assert.ok(duplicates > 0, 'it re-sent reports');
    assert.equal(
      summary.unitsTotal,
      counted + native.counts.units,
      're-sent reports were not counted',
    );
    assert.ok(summary.workers.some((w) => w.startsWith('legacy@')));
    assert.ok(summary.workers.some((w) => w.startsWith('native@')));
    assert.ok(waits >= 0);
    await client.close();
  });

  it('answers -1 and closes on a body that is not a dict of integers', {
    timeout: 60_000,
  }, async () => {
    await using t = await startServer({ local: false, tally: { port: 0, keys: 2, reps: 1 } });
    const { stdout } = await run('python3', [
      '-c',
      PYTHON_BAD,
      String(t.server.tallyAddress!.port),
    ]);
    assert.equal(stdout.trim(), "b'crrrazy_msg_START-1crrrazy_msg_END' closed");
  });
});

// A worker like the seed's myClient.py: `{}` first, then `{key: units}`; -2 means ask again,
// -1 means done. Every byte is sent on its own; every third report is sent twice (a re-send).
const PYTHON_WORKER = `
import random, socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
buf = b''
def send(body):
    for b in ('crrrazy_msg_START' + body + 'crrrazy_msg_END').encode():
        s.sendall(bytes([b]))
def recv():
    global buf
    while b'crrrazy_msg_END' not in buf:
        chunk = s.recv(1024)
        if not chunk: raise SystemExit('server closed')
        buf += chunk
    msg, buf = buf.split(b'crrrazy_msg_END', 1)
    return int(msg.decode().replace('crrrazy_msg_START', ''))
counted = duplicates = waits = 0
send('{}')
key = recv()
n = 0
while key != -1:
    if key == -2:
        waits += 1
        send('{}')
        key = recv()
        continue
    units = random.choice([1, 2])
    n += 1
    last = '{%d: %d}' % (key, units)
    send(last)
    counted += units
    key = recv()
    if n % 3 == 0 and key >= 0:
        # The original client re-sends its last message when no answer comes in time.
        duplicates += 1
        send(last)
        key = recv()
s.close()
print(counted, duplicates, waits)
`;

const PYTHON_BAD = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'crrrazy_msg_START__import__("os")crrrazy_msg_END')
data = b''
while True:
    chunk = s.recv(1024)
    if not chunk: break
    data += chunk
print(data, 'closed')
`;
