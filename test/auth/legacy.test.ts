/**
 * The legacy protocols with auth on: seed-000 lines and the seed-003 tally port cannot
 * authenticate, so they are served only with --legacy and only to peers on this machine; a
 * seed line acts as a client and never gets around the roles.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { connect } from '../../src/client/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { frameMarker } from '../../src/protocol/framing/marker.ts';
import { TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

const run = promisify(execFile);
const dir = tempDir('taskwire-legacy-');
after(() => dir.remove());
const authFile = writeAuthFile(dir.dir);

/** This machine's first non-loopback IPv4 address, to connect from (undefined: none). */
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

async function othersServed(port: number): Promise<void> {
  await using client = await connect({ port, token: TOKENS.client, reconnect: false });
  assert.equal((await client.run('flip', 'abc')).result, 'cba');
}

// The seed's client in packet mode: submit, then poll the status until done.
const SEED_CLIENT = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
f = s.makefile('rwb')
def ask(line):
    f.write((line + '\\n').encode()); f.flush()
    return f.readline().decode().rstrip('\\n')
first = ask('1: hello')
if first.startswith('Refused'):
    print(first)
    sys.exit(0)
ident = first.split(':', 1)[0]
while True:
    status = ask(f'status: {ident}')
    if 'done' in status:
        print(status)
        break
`;

describe('seed lines with auth on', () => {
  it("the seed's Python client works with --legacy on loopback, and is told why without it", async () => {
    await using open = await startServer({ authFile, legacy: true });
    const served = await run('python3', ['-c', SEED_CLIENT, String(open.port)]);
    assert.match(served.stdout, /^[0-9]+: done, result: olleh\n$/);
    await using closed = await startServer({ authFile });
    const refused = await run('python3', ['-c', SEED_CLIENT, String(closed.port)]);
    assert.match(
      refused.stdout,
      /^Refused: this server needs a token; seed lines are served only with --legacy/,
    );
  });

  it('without --legacy: refused with a line the seed client prints, then closed', async () => {
    await using t = await startServer({ authFile });
    const c = await RawClient.connect(t.port);
    const refused = t.server.events.next('auth:refused');
    c.write('1: hello\n');
    assert.match(
      await c.line(),
      /^Refused: this server needs a token; seed lines are served only with --legacy/,
    );
    await c.closedByServer();
    assert.equal((await refused).reason, 'legacy');
    await othersServed(t.port);
  });

  it('with --legacy: served to a loopback peer as a client; native requests still need auth', async () => {
    await using t = await startServer({ authFile, legacy: true, authTimeoutMs: 100 });
    const c = await RawClient.connect(t.port);
    c.write('1: hello\n');
    const id = (await c.line()).split(':')[0];
    assert.match(id!, /^[0-9]+$/);
    c.write(`status: ${id}\n`);
    assert.match(await c.line(), new RegExp(`^${id}: `));
    // Its auth timeout is gone: a connection opened after it times out, and it still serves.
    const late = await RawClient.connect(t.port);
    const refused = t.server.events.next('auth:refused');
    assert.equal((await refused).reason, 'timeout');
    await late.closedByServer();
    c.write(`status: ${id}\n`);
    assert.match(await c.line(), new RegExp(`^${id}: `));
    const r = await c.call('worker.hello', { types: ['flip'], concurrency: 1 });
    // A native request is refused without a token: a seed line grants no role to it.
    assert.equal(r.error.code, ErrorCode.UNAUTHORIZED);
    await c.closedByServer();
    await othersServed(t.port);
  });

  it('on an authenticated connection a seed line needs the client role', async () => {
    await using t = await startServer({ authFile });
    const w = await RawClient.connect(t.port);
    assert.ok((await w.call('auth', { token: TOKENS.worker })).result);
    w.write('1: hello\n');
    assert.equal(await w.line(), 'Refused: this token lacks the client role');
    assert.ok((await w.call('ping')).result, 'the connection keeps working');
    w.close();
    const c = await RawClient.connect(t.port);
    assert.ok((await c.call('auth', { token: TOKENS.client })).result);
    c.write('1: hello\n');
    assert.match(await c.line(), /^[0-9]+: task scheduled$/);
    c.close();
  });

  it('with --legacy, a peer from another address is refused', {
    skip: !external && 'no non-loopback interface',
  }, async () => {
    await using t = await startServer({ authFile, legacy: true, host: '0.0.0.0' });
    const c = await RawClient.connect(t.port, external);
    c.write('1: hello\n');
    assert.match(await c.line(), /^Refused: /);
    await c.closedByServer();
    await othersServed(t.port);
  });
});

/** Sends one tally message and reads the answer (an integer), or undefined if closed first. */
async function tallyAsk(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  const s = netConnect(port, host);
  await once(s, 'connect');
  let got = '';
  s.on('data', (d: Buffer) => {
    got += d.toString();
  });
  s.write(frameMarker('{}'));
  await new Promise<void>((resolve) => {
    s.on('data', () => got.includes('crrrazy_msg_END') && resolve());
    s.on('close', () => resolve());
  });
  s.destroy();
  return /crrrazy_msg_START(-?\d+)crrrazy_msg_END/.exec(got)?.[1];
}

describe('the tally port with auth on', () => {
  it('does not start without --legacy', async () => {
    await assert.rejects(
      startServer({ authFile, tally: { port: 0, keys: 2, reps: 1 } }),
      /legacy tally port cannot authenticate: with --auth-file it needs --legacy/,
    );
  });

  it('with --legacy: serves a loopback worker, refuses one from another address', async () => {
    await using t = await startServer({
      authFile,
      legacy: true,
      host: '0.0.0.0',
      local: false,
      tally: { port: 0, keys: 2, reps: 1 },
    });
    const port = t.server.tallyAddress!.port;
    const key = await tallyAsk(port);
    assert.match(key ?? '', /^[0-9]+$/);
    if (external) {
      const refused = t.server.events.next('auth:refused');
      assert.equal(await tallyAsk(port, external), undefined);
      assert.equal((await refused).reason, 'legacy');
    }
  });
});
