/** The dashboard's API and pages over real HTTP: filters, pages, detail, actions, CSRF, escaping, the event stream. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient, startServer } from '../support/server.ts';

const HTTP = { host: '127.0.0.1', port: 0 };

async function setup(readOnly = false) {
  const boom = () => {
    throw new Error('it broke');
  };
  const t = await startServer({
    http: { ...HTTP, readOnly },
    types: ['later'],
    maxAttempts: 1,
    handlers: new Map([['boom', boom]]),
  });
  const base = `http://127.0.0.1:${t.server.httpAddress!.port}`;
  const c = await RawClient.connect(t.port);
  const json = async (path: string, init?: RequestInit) => {
    const res = await fetch(base + path, init);
    return { status: res.status, body: (await res.json()) as any };
  };
  const text = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: await res.text() };
  };
  return { t, base, c, json, text };
}

describe('dashboard API', () => {
  it('lists tasks with every filter, pages by cursor, and shows one with its attempts', async () => {
    const { t, c, json } = await setup();
    await using _ = t;
    const flipped = await c.call('run', { type: 'flip', data: 'Timeout here' });
    const failed = await c.call('run', { type: 'boom', data: 'no' });
    assert.equal(failed.result.status, 'failed');
    const later = await c.call('submitMany', {
      tasks: Array.from({ length: 5 }, (_, i) => ({ type: 'later', data: { i } })),
    });
    const ids = (r: any) => r.body.tasks.map((x: any) => x.id);
    assert.deepEqual(ids(await json('/api/tasks?status=done')), [flipped.result.id]);
    assert.deepEqual(ids(await json('/api/tasks?status=failed&type=boom')), [failed.result.id]);
    assert.deepEqual(ids(await json('/api/tasks?status=failed,done&q=timeout')), [
      flipped.result.id,
    ]);
    assert.deepEqual(ids(await json('/api/tasks?status=done&status=failed')).length, 2);
    assert.deepEqual(ids(await json(`/api/tasks?q=${flipped.result.id}&status=done`)), [
      flipped.result.id,
    ]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.deepEqual(ids(await json(`/api/tasks?from=${encodeURIComponent(future)}`)), []);
    assert.equal(ids(await json(`/api/tasks?to=${encodeURIComponent(future)}`)).length, 7);
    const first = await json('/api/tasks?type=later&limit=2');
    assert.deepEqual(ids(first), [later.result.ids[4], later.result.ids[3]]);
    const second = await json(`/api/tasks?type=later&limit=2&before=${first.body.next}`);
    assert.deepEqual(ids(second), [later.result.ids[2], later.result.ids[1]]);
    for (const bad of ['status=nope', 'limit=0', 'limit=1000', 'before=x', 'from=yesterday']) {
      const r = await json(`/api/tasks?${bad}`);
      assert.equal(r.status, 400, bad);
      assert.ok(r.body.error, bad);
    }
    const one = await json(`/api/tasks/${flipped.result.id}`);
    assert.equal(typeof one.body.result, 'string');
    assert.equal(one.body.attemptLog.length, 1);
    assert.equal(one.body.attemptLog[0].state, 'done');
    assert.equal((await json('/api/tasks/999999')).status, 404);
    assert.equal((await json('/api/tasks/abc')).status, 404);
    c.close();
  });

  it('cancels with the CSRF token only; 409 past cancel; retry, pause and resume', async () => {
    const { t, c, json, text } = await setup();
    await using _ = t;
    const { result } = await c.call('submit', { type: 'later', data: 1 });
    const page = await text(`/tasks/${result.id}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(csrf, 'the page carries the token');
    assert.match(page.body, /action="\/tasks\/\d+\/cancel"/, 'an enqueued task can be canceled');
    assert.doesNotMatch(page.body, /\/retry"/, 'no retry button: the task is not finished');
    const post = (path: string, token?: string) =>
      json(path, { method: 'POST', headers: token ? { 'x-csrf-token': token } : {} });
    assert.equal((await post(`/api/tasks/${result.id}/cancel`)).status, 403);
    assert.equal((await post(`/api/tasks/${result.id}/cancel`, 'forged')).status, 403);
    const ok = await post(`/api/tasks/${result.id}/cancel`, csrf);
    assert.deepEqual(ok, {
      status: 200,
      body: { ok: true, message: `task ${result.id} canceled` },
    });
    const again = await post(`/api/tasks/${result.id}/cancel`, csrf);
    assert.equal(again.status, 409);
    assert.match(again.body.error, /is canceled/);
    assert.equal((await post('/api/tasks/999999/cancel', csrf)).status, 404);
    // The server offers retry, retry of a filter, pause and resume.
    assert.deepEqual((await json('/api/actions')).body, {
      cancel: true,
      retry: true,
      retryMatching: true,
      pause: true,
      readOnly: false,
    });
    const retried = await post(`/api/tasks/${result.id}/retry`, csrf);
    assert.deepEqual(retried.body, { ok: true, message: `task ${result.id} will run again` });
    assert.equal((await c.call('status', { id: result.id })).result.status, 'enqueued');
    const twice = await post(`/api/tasks/${result.id}/retry`, csrf);
    assert.equal(twice.status, 409);
    assert.equal((await post('/api/tasks/999999/retry', csrf)).status, 409);
    assert.equal((await post('/api/types/later/pause', csrf)).status, 200);
    assert.equal(
      (await c.call('types')).result.types.find((x: any) => x.type === 'later').paused,
      true,
    );
    assert.equal((await post('/api/types/later/resume', csrf)).status, 200);
    await c.call('cancel', { id: result.id });
    const matching = await post('/api/tasks/retry?status=canceled&type=later', csrf);
    assert.deepEqual(matching.body, { retried: 1 });
    c.close();
  });

  it('read-only: no action shown, every POST refused with 403', async () => {
    const { t, c, json, text } = await setup(true);
    await using _ = t;
    const { result } = await c.call('submit', { type: 'later', data: 1 });
    const page = await text(`/tasks/${result.id}`);
    assert.doesNotMatch(page.body, /cancel"/);
    const refused = await json(`/api/tasks/${result.id}/cancel`, { method: 'POST' });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error, /read-only/);
    assert.equal((await json(`/api/tasks/${result.id}`)).body.status, 'enqueued');
    c.close();
  });

  it('pages escape task data, results and errors; headers allow only own scripts', async () => {
    const { t, c, base, text } = await setup();
    await using _ = t;
    const evil = '<script>alert(1)</script>';
    const { result } = await c.call('submit', {
      type: 'later',
      data: { html: evil, "'q'": '"x"' },
    });
    for (const path of [
      `/tasks/${result.id}`,
      '/tasks',
      `/tasks?q=${encodeURIComponent(evil)}`,
      '/',
    ]) {
      const page = await text(path);
      assert.equal(page.status, 200, path);
      assert.ok(!page.body.includes('<script>alert'), `${path} escapes the data`);
    }
    assert.match(
      (await text(`/tasks/${result.id}`)).body,
      /&lt;script&gt;alert\(1\)&lt;\/script&gt;/,
    );
    const res = await fetch(`${base}/`);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    for (const a of ['uPlot.iife.min.js', 'uPlot.min.css', 'overview.js', 'dashboard.css']) {
      assert.equal((await fetch(`${base}/assets/${a}`)).status, 200, a);
    }
    assert.equal((await fetch(`${base}/assets/..%2Fpackage.json`)).status, 404);
    c.close();
  });

  it('the overview stream sends the overview at once, and a submitted task within a second', async () => {
    const { t, c, base } = await setup();
    await using _ = t;
    const abort = new AbortController();
    const res = await fetch(`${base}/api/overview/stream`, { signal: abort.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const nextEvent = async () => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return JSON.parse(event.replace(/^data: /, ''));
        }
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream stays open');
        buffer += value;
      }
    };
    const first = await nextEvent();
    assert.deepEqual(first.recent, []);
    assert.ok(first.workers.length >= 1, 'the built-in executor');
    const { result } = await c.call('submit', { type: 'later', data: 'live' });
    let seen: any;
    while (!seen) seen = (await nextEvent()).recent.find((r: any) => r.id === result.id);
    assert.equal(seen.status, 'enqueued');
    abort.abort();
    c.close();
  });
});
