/** The HTTP listener with auth: admin tokens only, bearer for /metrics, a login form and its session cookie, CSRF per session. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN_TOKEN, CLIENT_TOKEN, stubChecker } from '../support/auth-stub.ts';
import { sample, scrape } from '../support/metrics.ts';
import { RawClient, startServer } from '../support/server.ts';

async function setup() {
  const t = await startServer({
    http: { host: '127.0.0.1', port: 0, auth: stubChecker() },
    types: ['later'],
  });
  const base = `http://127.0.0.1:${t.server.httpAddress!.port}`;
  const go = (path: string, init: RequestInit = {}) =>
    fetch(base + path, { redirect: 'manual', ...init });
  return { t, base, go };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('HTTP auth', () => {
  it('probes and assets need no token; /metrics and the API need an admin bearer token', async () => {
    const { t, go } = await setup();
    await using _ = t;
    assert.equal((await go('/healthz')).status, 200);
    assert.equal((await go('/readyz')).status, 200);
    assert.equal((await go('/assets/overview.js')).status, 200);
    const none = await go('/metrics');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    assert.equal((await go('/metrics', bearer('wrong-token-0123456789'))).status, 401);
    assert.equal(
      (await go('/metrics', bearer(CLIENT_TOKEN))).status,
      401,
      'client role: not enough',
    );
    assert.equal((await go('/api/tasks')).status, 401);
    assert.equal((await go('/api/tasks', bearer(ADMIN_TOKEN))).status, 200);
    const m = await scrape(t.server.httpAddress!.port, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.equal(sample(m, 'taskwire_auth_failures_total'), 2);
  });

  it('pages send the browser to the login form; a login opens a session cookie', async () => {
    const { t, go } = await setup();
    await using _ = t;
    const c = await RawClient.connect(t.port);
    const { result } = await c.call('submit', { type: 'later', data: 1 });
    const toLogin = await go(`/tasks/${result.id}`, { headers: { accept: 'text/html' } });
    assert.equal(toLogin.status, 303);
    assert.equal(toLogin.headers.get('location'), `/login?next=%2Ftasks%2F${result.id}`);
    const formPage = await (await go('/login?next=/tasks')).text();
    assert.match(formPage, /name="token"/);
    const refused = await go('/login', form({ token: CLIENT_TOKEN, next: '/tasks' }));
    assert.equal(refused.status, 401);
    assert.match(await refused.text(), /lacks the admin role/);
    assert.equal(refused.headers.get('set-cookie'), null);
    const evil = await go('/login', form({ token: ADMIN_TOKEN, next: '//evil.example/' }));
    assert.equal(evil.headers.get('location'), '/', 'no redirect off the server');
    const login = await go('/login', form({ token: ADMIN_TOKEN, next: `/tasks/${result.id}` }));
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), `/tasks/${result.id}`);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^taskwire_session=[\w-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const session = { cookie: setCookie.split(';')[0]! };
    const detail = await go(`/tasks/${result.id}`, { headers: session });
    assert.equal(detail.status, 200);
    const html = await detail.text();
    const csrf =
      /action="\/tasks\/\d+\/cancel"[^>]*><input type="hidden" name="_csrf" value="([^"]+)"/.exec(
        html,
      )?.[1];
    assert.ok(csrf);
    assert.match(html, /action="\/logout"/);
    // Another session's token does not do: CSRF tokens are per session.
    const other = (await go('/login', form({ token: ADMIN_TOKEN }))).headers
      .get('set-cookie')!
      .split(';')[0]!;
    const forged = await go(`/tasks/${result.id}/cancel`, {
      ...form({ _csrf: csrf }),
      headers: { ...form({}).headers, cookie: other },
    });
    assert.equal(forged.status, 403);
    const cancel = await go(`/tasks/${result.id}/cancel`, {
      ...form({ _csrf: csrf }),
      headers: { ...form({}).headers, ...session },
    });
    assert.equal(cancel.status, 303);
    assert.equal((await c.call('status', { id: result.id })).result.status, 'canceled');
    const logout = await go('/logout', {
      ...form({ _csrf: csrf }),
      headers: { ...form({}).headers, ...session },
    });
    assert.equal(logout.status, 303);
    assert.equal((await go('/api/tasks', { headers: session })).status, 401, 'the session is gone');
    c.close();
  });

  it('a non-loopback HTTP address with auth starts without --insecure', async () => {
    await using t = await startServer({ http: { host: '0.0.0.0', port: 0, auth: stubChecker() } });
    assert.equal(t.server.httpAddress?.host, '0.0.0.0');
  });
});
