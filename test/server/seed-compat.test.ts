/** The seed project's line protocol, spoken by a small Python 3 client like the original. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RawClient, startServer } from '../support/server.ts';

const run = promisify(execFile);

// Packet mode of the original client: send a task, then poll its status until done (each
// poll waits for its answer before the next).
const PYTHON_CLIENT = `
import socket, sys, time
host, port, kind, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port))
f = s.makefile('rwb')
def ask(line):
    f.write((line + '\\n').encode()); f.flush()
    return f.readline().decode().rstrip('\\n')
answer = ask(f'{kind}: {data}')
print(answer)
ident = answer.split(':', 1)[0]
seen = []
while True:
    status = ask(f'status: {ident}')
    state = status.split(': ', 1)[1].split(',')[0]
    if not seen or seen[-1] != state:
        seen.append(state)
        print(status)
    if state == 'done':
        break
print(ask('status: nosuchid'))
print(ask('7: whatever'))
print(ask('no colon here'))
s.close()
`;

describe('seed line protocol', () => {
  it('serves an unmodified-style Python client in packet mode', async () => {
    await using t = await startServer({ delayScale: 0.02 });
    const { stdout } = await run('python3', [
      '-c',
      PYTHON_CLIENT,
      '127.0.0.1',
      String(t.port),
      '3',
      'ab😀',
    ]);
    const lines = stdout.replace(/\n$/, '').split('\n');
    const id = lines[0]!.split(':')[0]!;
    assert.match(lines[0]!, /^[0-9]+: task scheduled$/);
    assert.ok(lines.includes(`${id}: processing`) || lines.includes(`${id}: enqueued`));
    assert.ok(lines.includes(`${id}: done, result: abb😀😀😀`), stdout);
    assert.deepEqual(lines.slice(-3), [
      'No such task',
      'Impossible to handle: type 7, data whatever',
      'Impossible to handle: type no colon here, data ',
    ]);
  });

  it('answers pipelined seed lines in order, and mixes with native lines on one connection', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    c.write('1:  spaced data  \nstatus: 1\n2: \n');
    assert.equal(await c.line(), '1: task scheduled');
    assert.match(await c.line(), /^1: (enqueued|processing|done, result: atad decaps)$/);
    assert.equal(await c.line(), 'Impossible to handle: type 2, data ', 'empty data is refused');
    const done = await c.call('wait', { id: '1' });
    assert.equal(
      done.result.result,
      'atad decaps',
      'the data is the text after the first colon, trimmed',
    );
    c.write('status: 1\n');
    assert.equal(await c.line(), '1: done, result: atad decaps');
    c.close();
  });
});
