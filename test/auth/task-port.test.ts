/** Tokens and roles on the task port, from raw sockets: auth first, timeouts, refusals, roles, reloads. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { AUTH_LINES, TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { RawClient, startServer, type TestServer, tempDir } from '../support/server.ts';

const dir = tempDir('taskwire-auth-');
after(() => dir.remove());

/** A raw connection that said `auth` with `token`. */
async function authed(port: number, token: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const r = await c.call('auth', { token });
  assert.ok(r.result, JSON.stringify(r));
  return c;
}

/** Another client on the same server still gets its task done. */
async function othersServed(port: number): Promise<void> {
  await using client = await connect({ port, token: TOKENS.client, reconnect: false });
  const task = await client.run('flip', 'abc');
  assert.equal(task.result, 'cba');
}

describe('auth on the task port', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ authFile: writeAuthFile(dir.dir), authTimeoutMs: 150, types: ['t'] });
  });
  after(() => t[Symbol.asyncDispose]());

  it('each token may call its roles’ methods; FORBIDDEN keeps the connection', async () => {
    const client = await authed(t.port, TOKENS.client);
    assert.equal(
      (await client.call('submit', { type: 'flip', data: 'x' })).result.id.length > 0,
      true,
    );
    const hello = await client.call('worker.hello', { types: ['t'], concurrency: 1 });
    assert.equal(hello.error.code, ErrorCode.FORBIDDEN);
    assert.match(
      hello.error.message,
      /worker\.hello needs a role this token lacks \(it has: client\)/,
    );
    assert.equal((await client.call('workers')).error.code, ErrorCode.FORBIDDEN);
    assert.equal((await client.call('ping')).result.pong, true); // still working
    client.close();

    const worker = await authed(t.port, TOKENS.worker);
    assert.equal(
      (await worker.call('submit', { type: 'flip', data: 'x' })).error.code,
      ErrorCode.FORBIDDEN,
    );
    assert.ok(
      (await worker.call('worker.hello', { types: ['t'], concurrency: 1 })).result.workerId,
    );
    worker.close();

    const both = await authed(t.port, TOKENS.both);
    assert.ok((await both.call('submit', { type: 'flip', data: 'x' })).result.id);
    assert.ok((await both.call('worker.hello', { types: ['t'], concurrency: 1 })).result.workerId);
    both.close();

    const admin = await authed(t.port, TOKENS.admin);
    assert.ok((await admin.call('workers')).result.workers);
    assert.ok((await admin.call('submit', { type: 'flip', data: 'x' })).result.id);
    assert.deepEqual((await admin.call('auth', { token: TOKENS.admin })).result, {
      roles: ['admin'],
    });
    admin.close();
    await othersServed(t.port);
  });

  it('the first message must be auth: anything else is UNAUTHORIZED, then the close', async () => {
    const c = await RawClient.connect(t.port);
    const refused = t.server.events.next('auth:refused');
    const r = await c.call('submit', { type: 'flip', data: 'x' });
    assert.equal(r.error.code, ErrorCode.UNAUTHORIZED);
    assert.match(r.error.message, /the first message must be auth/);
    await c.closedByServer();
    assert.equal((await refused).reason, 'not-authenticated');
    await othersServed(t.port);
  });

  it('before auth, a line that is no request (not JSON, unknown method, bad UTF-8) closes too', async () => {
    for (const line of [
      Buffer.from('{not json\n'),
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"no.such"}\n'),
      Buffer.from('{"id":1}\n'),
      Buffer.from([0x7b, 0xff, 0x0a]),
    ]) {
      const c = await RawClient.connect(t.port);
      c.write(line);
      const r = await c.json();
      assert.equal(r.error.code, ErrorCode.UNAUTHORIZED, String(line));
      await c.closedByServer();
    }
    // After auth, the same lines get their usual answers.
    const c = await authed(t.port, TOKENS.client);
    assert.equal((await c.call('no.such')).error.code, ErrorCode.METHOD_NOT_FOUND);
    c.write('{not json\n');
    assert.equal((await c.json()).error.code, ErrorCode.PARSE_ERROR);
    c.close();
  });

  it('a wrong token gets a clear error, then the close', async () => {
    const c = await RawClient.connect(t.port);
    const r = await c.call('auth', { token: 'wrong-token-0000000000000000' });
    assert.deepEqual(r.error, {
      code: ErrorCode.UNAUTHORIZED,
      message: 'invalid token; closing the connection',
    });
    await c.closedByServer();
    await othersServed(t.port);
  });

  it('a connection that does not authenticate in time is closed', async () => {
    const c = await RawClient.connect(t.port);
    const refused = await t.server.events.next('auth:refused');
    assert.equal(refused.reason, 'timeout');
    const notice = await c.json();
    assert.equal(notice.id, null);
    assert.equal(notice.error.code, ErrorCode.UNAUTHORIZED);
    assert.match(notice.error.message, /no auth within 150 ms/);
    await c.closedByServer();
    await othersServed(t.port);
  });

  it('a request sent right after auth (pipelined) is served', async () => {
    const c = await RawClient.connect(t.port);
    const a = c.send('auth', { token: TOKENS.client });
    const s = c.send('status', { id: '999999' });
    assert.ok((await c.responseTo(a)).result);
    assert.equal((await c.responseTo(s)).error.code, ErrorCode.TASK_NOT_FOUND);
    c.close();
  });
});

describe('the failure throttle on the task port', () => {
  it('slows repeated failures from one address, each attempt later than the last', async () => {
    await using t = await startServer({
      authFile: writeAuthFile(dir.dir),
      // A clock that stands still: each wait is then decided by the failures alone, not by
      // how long a loaded machine takes between two connections.
      authThrottle: { baseMs: 40, maxMs: 1000, now: () => 0 },
    });
    const delays: number[] = [];
    const failures: number[] = [];
    t.server.events.on('auth:delayed', (e) => delays.push(e.delayMs));
    t.server.events.on('auth:refused', (e) => failures.push(e.failures ?? 0));
    for (let i = 0; i < 4; i++) {
      const c = await RawClient.connect(t.port);
      const r = await c.call('auth', { token: `guess-${i}-0000000000000000` });
      assert.equal(r.error.code, ErrorCode.UNAUTHORIZED);
      await c.closedByServer();
    }
    assert.deepEqual(failures, [1, 2, 3, 4]);
    // The first guess is checked at once; each later one waits, and the wait grows.
    assert.equal(delays.length, 3);
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! > delays[i - 1]!, String(delays));
    // A good token after the guesses waits its turn too, then works and forgives the address.
    const delayed = t.server.events.next('auth:delayed');
    const c = await authed(t.port, TOKENS.client);
    assert.ok((await delayed).delayMs > 0);
    c.close();
    const d = await authed(t.port, TOKENS.client);
    assert.equal(delays.length, 4); // forgiven: no wait this time
    d.close();
  });
});

describe('SIGHUP-style reload (in process)', () => {
  it('a removed token stops working on its next request; a bad file keeps the old tokens', async () => {
    const file = writeAuthFile(dir.dir);
    await using t = await startServer({ authFile: file });
    const c = await authed(t.port, TOKENS.client);
    const w = await authed(t.port, TOKENS.worker);
    writeFileSync(file, 'oops client\n');
    const bad = t.server.events.next('auth:reloaded');
    await t.server.reloadAuth();
    assert.match(
      String(((await bad) as { error: string }).error),
      /tokens\.auth:1: token too short/,
    );
    assert.ok((await c.call('ping')).result, 'old tokens still in force');
    writeFileSync(file, AUTH_LINES.filter((l) => !l.startsWith(TOKENS.client)).join('\n'));
    await t.server.reloadAuth();
    const r = await c.call('ping');
    assert.equal(r.error.code, ErrorCode.UNAUTHORIZED);
    assert.match(r.error.message, /no longer valid/);
    await c.closedByServer();
    assert.ok((await w.call('ping')).result, 'the other tokens keep working');
    w.close();
    const again = await RawClient.connect(t.port);
    assert.equal(
      (await again.call('auth', { token: TOKENS.client })).error.code,
      ErrorCode.UNAUTHORIZED,
    );
    again.close();
  });
});

describe('without --auth-file', () => {
  it('nothing changes, and auth is accepted with every role', async () => {
    await using t = await startServer();
    const c = await RawClient.connect(t.port);
    assert.ok((await c.call('submit', { type: 'flip', data: 'x' })).result.id);
    assert.deepEqual((await c.call('auth', { token: 'anything' })).result, {
      roles: ['client', 'worker', 'admin'],
    });
    c.close();
  });
});

describe('protected mode', () => {
  it('a non-loopback --host without --auth-file refuses to start, naming both ways out', async () => {
    await assert.rejects(
      startServer({ host: '0.0.0.0' }),
      /the task port on 0\.0\.0\.0 refuses to start without authentication.*--auth-file FILE.*--insecure/s,
    );
    await using insecure = await startServer({ host: '0.0.0.0', insecure: true });
    assert.ok(insecure.port > 0);
    await using authed = await startServer({ host: '0.0.0.0', authFile: writeAuthFile(dir.dir) });
    assert.ok(authed.port > 0);
  });
});
