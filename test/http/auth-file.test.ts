/** The dashboard and /metrics on the real auth file (not a stub): the admin role, the login form, and task-port failures counted. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { TOKENS, writeAuthFile } from '../support/auth-file.ts';
import { sample, scrape } from '../support/metrics.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

const dir = tempDir('taskwire-http-auth-');
after(() => dir.remove());

describe('HTTP auth with --auth-file', () => {
  it('needs the admin role for /metrics and pages; a login with an admin token opens a session', async () => {
    await using t = await startServer({
      authFile: writeAuthFile(dir.dir),
      http: { host: '0.0.0.0', port: 0 }, // with the auth file, no --insecure is needed
    });
    const base = `http://127.0.0.1:${t.server.httpAddress!.port}`;
    const go = (path: string, init: RequestInit = {}) =>
      fetch(base + path, { redirect: 'manual', ...init });
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    assert.equal((await go('/healthz')).status, 200);
    assert.equal((await go('/metrics')).status, 401);
    assert.equal(
      (await go('/metrics', bearer(TOKENS.client))).status,
      401,
      'client role: not enough',
    );
    assert.equal((await go('/metrics', bearer('not-a-token-at-all-000'))).status, 401);
    assert.equal((await go('/metrics', bearer(TOKENS.admin))).status, 200);

    const login = (token: string) =>
      go('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, next: '/' }).toString(),
      });
    assert.equal((await login(TOKENS.worker)).status, 401);
    const ok = await login(TOKENS.admin);
    assert.equal(ok.status, 303);
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(cookie, /^taskwire_session=/);
    const page = await go('/', { headers: { cookie, accept: 'text/html' } });
    assert.equal(page.status, 200);

    // A wrong token on the task port counts in the same counter.
    const c = await RawClient.connect(t.port);
    assert.equal(
      (await c.call('auth', { token: 'wrong-wrong-wrong-wrong' })).error.code,
      ErrorCode.UNAUTHORIZED,
    );
    await c.closedByServer();
    const m = await scrape(t.server.httpAddress!.port, { authorization: `Bearer ${TOKENS.admin}` });
    // HTTP: the client bearer, the bad bearer, the worker's login (no token at all is not a
    // failure); the task port: the wrong token.
    assert.equal(sample(m, 'taskwire_auth_failures_total'), 4);
  });
});
