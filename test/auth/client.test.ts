/** The Client and the Worker with tokens: auth first on every connection, distinct errors, no endless reconnecting. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { AuthError, connect, ForbiddenError, RpcError } from '../../src/client/index.ts';
import { builtinHandlers } from '../../src/handlers/builtin-handlers.ts';
import { Worker } from '../../src/worker/worker.ts';
import { AUTH_LINES, TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { startServer, tempDir } from '../support/server.ts';

const dir = tempDir('taskwire-auth-client-');
after(() => dir.remove());

describe('the Client with a token', () => {
  it('authenticates; FORBIDDEN rejects with ForbiddenError and the client keeps working', async () => {
    await using t = await startServer({ authFile: writeAuthFile(dir.dir) });
    await using client = await connect({ port: t.port, token: TOKENS.client });
    assert.equal((await client.run('flip', 'abc')).result, 'cba');
    const refused = await client.workers().catch((e: unknown) => e);
    assert.ok(refused instanceof ForbiddenError && refused instanceof RpcError, String(refused));
    assert.equal(refused.codeName, 'FORBIDDEN');
    assert.equal((await client.ping()).pong, true);
  });

  it('a wrong or missing token rejects with AuthError, without reconnecting', async () => {
    await using t = await startServer({ authFile: writeAuthFile(dir.dir) });
    await assert.rejects(
      connect({ port: t.port, token: 'wrong-token-000000000000000' }),
      (e: unknown) => {
        assert.ok(e instanceof AuthError, String(e));
        assert.equal(e.codeName, 'UNAUTHORIZED');
        return true;
      },
    );
    // Without a token, the first call is refused and so is every later one: no retry loop.
    await using bare = await connect({ port: t.port });
    let retries = 0;
    bare.on('connection:retrying', () => retries++);
    const refused = bare.next('connection:refused');
    await assert.rejects(bare.ping(), AuthError);
    await refused;
    await assert.rejects(bare.ping(), AuthError);
    assert.equal(retries, 0);
  });

  it('fails over to the next server and authenticates there first', async () => {
    const authFile = writeAuthFile(dir.dir);
    const a = await startServer({ authFile });
    await using b = await startServer({ authFile });
    await using client = await connect({
      addresses: `127.0.0.1:${a.port},127.0.0.1:${b.port}`,
      token: TOKENS.client,
    });
    assert.equal((await client.run('flip', 'ab')).result, 'ba');
    const accepted = b.server.events.next('auth:accepted');
    const reopened = client.next('connection:opened');
    await a[Symbol.asyncDispose]();
    await reopened;
    assert.deepEqual((await accepted).roles, ['client']);
    assert.equal((await client.run('flip', 'xy')).result, 'yx');
  });

  it('a token removed from the file: the next call rejects with AuthError, for good', async () => {
    const file = writeAuthFile(dir.dir);
    await using t = await startServer({ authFile: file });
    await using client = await connect({ port: t.port, token: TOKENS.client });
    await client.ping();
    writeFileSync(file, AUTH_LINES.filter((l) => !l.startsWith(TOKENS.client)).join('\n'));
    await t.server.reloadAuth();
    await assert.rejects(client.ping(), AuthError);
    await assert.rejects(client.submit('flip', 'a'), AuthError);
  });
});

describe('the Worker with a token', () => {
  const flip = builtinHandlers(0.001).get('flip')!;

  it('registers with a worker token and runs tasks', async () => {
    await using t = await startServer({ authFile: writeAuthFile(dir.dir), local: false });
    await using worker = new Worker({ port: t.port, token: TOKENS.worker }).handle('flip', flip);
    await worker.start();
    await using client = await connect({ port: t.port, token: TOKENS.client });
    assert.equal((await client.run('flip', 'abc')).result, 'cba');
  });

  it('start() rejects with ForbiddenError for a client token, AuthError for a wrong one', async () => {
    await using t = await startServer({ authFile: writeAuthFile(dir.dir), local: false });
    const w1 = new Worker({ port: t.port, token: TOKENS.client }).handle('flip', flip);
    await assert.rejects(w1.start(), ForbiddenError);
    const w2 = new Worker({ port: t.port, token: 'nope-nope-nope-nope-nope' }).handle('flip', flip);
    await assert.rejects(w2.start(), AuthError);
    await using client = await connect({ port: t.port, token: TOKENS.admin });
    assert.deepEqual(await client.workers(), []);
  });

  it('stops (worker:refused) when its token is removed, instead of reconnecting', async () => {
    const file = writeAuthFile(dir.dir);
    await using t = await startServer({ authFile: file, local: false, leaseMs: 300 });
    const worker = new Worker({ port: t.port, token: TOKENS.worker }).handle('flip', flip);
    await worker.start();
    writeFileSync(file, AUTH_LINES.filter((l) => !l.startsWith(TOKENS.worker)).join('\n'));
    await t.server.reloadAuth();
    // Its next heartbeat (a third of the lease) is refused.
    const { error } = await worker.next('worker:refused');
    assert.ok(error instanceof AuthError, String(error));
    await worker.close();
  });
});
