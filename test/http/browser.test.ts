/**
 * The dashboard in a real browser: headless Chromium (Debian's package, /usr/bin/chromium)
 * driven by playwright-core. Loads the overview, sees a submitted task appear live, searches
 * for it, opens it, cancels it, retries a failed task from its page, pauses and resumes a
 * type from the overview, sees data that is a script stay text, the read-only mode refuse,
 * and logs in when auth is on. Every step awaits what it expects; nothing sleeps.
 * It also takes the README's screenshot: to a temporary file on every run, and into
 * docs/dashboard.png only with TASKWIRE_UPDATE_SCREENSHOT=1 (`npm run screenshot`).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { TaskHandler } from '../../src/handlers/run-handler.ts';
import { TOKENS, writeAuthFile } from '../support/auth-file.ts';
import {
  RawClient,
  startServer,
  type TestServer,
  type TestServerOptions,
} from '../support/server.ts';

/** The little of the DOM a page function here reads (the project compiles without lib dom). */
type Dom = { document: { getElementById(id: string): { textContent: string | null } | null } };

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = new URL('../../docs/dashboard.png', import.meta.url);
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const skip = existsSync(CHROMIUM)
  ? false
  : process.env.CI
    ? false // CI installs it (.ci/run): a missing browser must fail there, not skip.
    : `no ${CHROMIUM} (apt-get install -y chromium)`;

const handlers = new Map<string, TaskHandler>([
  ['resize', () => ({ width: 640 })],
  [
    'render',
    () => {
      throw new Error('template missing: invoice.html');
    },
  ],
  // Fails its first attempt only: a retry from the dashboard makes it done.
  [
    'flaky',
    (task) => {
      if (task.attempt === 1) throw new Error('upstream down');
      return 'fixed';
    },
  ],
]);

describe('dashboard in Chromium', { skip, timeout: 60_000 }, () => {
  let context: BrowserContext;
  let profile: string;
  const servers: TestServer[] = [];

  before(async () => {
    profile = mkdtempSync(join(tmpdir(), 'taskwire-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1280, height: 900 },
    });
  });

  after(async () => {
    await context?.close();
    for (const s of servers) await s[Symbol.asyncDispose]();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function serve(opts: TestServerOptions = {}) {
    const t = await startServer({ types: ['later', 'mail'], maxAttempts: 1, handlers, ...opts });
    servers.push(t);
    const client = await RawClient.connect(t.port);
    return { t, client, base: `http://127.0.0.1:${t.server.httpAddress!.port}` };
  }

  /** A page that fails the test on a script error or a dialog (an injected alert). */
  async function open(): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
    return { page, problems };
  }

  it('overview live, search, detail, cancel, escaped data; and the screenshot', async () => {
    const { client, base } = await serve({ http: { host: '127.0.0.1', port: 0 } });
    const { page, problems } = await open();
    await page.goto(`${base}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor();

    // A submitted task appears in the overview without a reload.
    const { result } = await client.call('submit', {
      type: 'mail',
      data: { to: 'ada@example.org', subject: 'needle 7' },
    });
    await page.locator(`#recent tr[data-id="${result.id}"]`).waitFor();
    await page.locator('#counts tr', { hasText: 'mail' }).waitFor();

    // Search for it; the filters land in the URL.
    await page.goto(`${base}/tasks`);
    await page.fill('input[name="q"]', 'needle 7');
    await page.check('input[name="status"][value="enqueued"]');
    await Promise.all([page.waitForURL(/q=needle\+7/), page.click('button:has-text("Filter")')]);
    assert.match(page.url(), /status=enqueued/);
    const rows = page.locator('#tasks tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);

    // Its detail, then cancel it.
    await Promise.all([
      page.waitForURL(`${base}/tasks/${result.id}`),
      page.click(`#tasks a[href="/tasks/${result.id}"]`),
    ]);
    assert.match((await page.locator('#data').textContent()) ?? '', /ada@example\.org/);
    await Promise.all([page.waitForURL(/notice=/), page.click('button:has-text("Cancel")')]);
    await page.locator('.notice', { hasText: `task ${result.id} canceled` }).waitFor();
    await page.locator('h1 .status', { hasText: 'canceled' }).waitFor();
    assert.equal(await page.locator('button:has-text("Cancel")').count(), 0);

    // A failed task shows its error and its attempt; Retry runs it again, the log kept.
    const failed = await client.call('run', { type: 'flaky', data: { invoice: 1042 } });
    assert.equal(failed.result.status, 'failed');
    const failedId = failed.result.id;
    await page.goto(`${base}/tasks/${failedId}`);
    await page.locator('#error', { hasText: 'upstream down' }).waitFor();
    await page.locator('#attempts td', { hasText: 'failed' }).waitFor();
    await Promise.all([page.waitForURL(/notice=/), page.click('button:has-text("Retry")')]);
    await page.locator('.notice', { hasText: `task ${failedId} will run again` }).waitFor();
    assert.equal((await client.call('wait', { id: failedId })).result.status, 'done');
    await page.reload();
    await page.locator('h1 .status', { hasText: 'done' }).waitFor();
    await page.locator('#result', { hasText: 'fixed' }).waitFor();
    await page.locator('#attempts td', { hasText: 'done' }).waitFor();
    assert.equal(await page.locator('#attempts td', { hasText: 'failed' }).count(), 1);
    assert.equal(await page.locator('button:has-text("Retry")').count(), 0, 'done: no retry');

    // Data that is a script shows as text, on every page that shows it.
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const bad = await client.call('submit', { type: 'later', data: evil });
    await page.goto(`${base}/`);
    await page.locator(`#recent tr[data-id="${bad.result.id}"]`).waitFor();
    await page.goto(`${base}/tasks?q=${encodeURIComponent('<script>')}`);
    assert.equal(
      await page.locator('#tasks td.data', { hasText: '<script>alert(1)</script>' }).count(),
      1,
    );
    await page.goto(`${base}/tasks/${bad.result.id}`);
    assert.equal(JSON.parse((await page.locator('#data').textContent())!), evil);
    assert.equal(
      await page.locator('main script, main img').count(),
      0,
      'no element came from the data',
    );

    // The screenshot: some traffic, so the chart and the tables have something to show.
    await page.goto(`${base}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    for (let i = 0; i < 4; i++) {
      const stamp = await page.locator('#updated').textContent();
      await client.call('submitMany', {
        tasks: Array.from({ length: 20 + i * 15 }, (_, j) => ({
          type: j % 5 ? 'resize' : 'mail',
          data: { j },
        })),
      });
      await client.call('run', { type: i % 2 ? 'resize' : 'render', data: { i } });
      await page.waitForFunction(
        (s) => (globalThis as unknown as Dom).document.getElementById('updated')?.textContent !== s,
        stamp,
      );
    }
    await page.locator('#chart canvas').waitFor();
    const target = process.env.TASKWIRE_UPDATE_SCREENSHOT
      ? SCREENSHOT
      : join(profile, 'dashboard.png');
    await page.screenshot({
      path: target instanceof URL ? target.pathname : target,
      fullPage: true,
    });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('pause and resume a type from the overview', async () => {
    const { client, base } = await serve({ http: { host: '127.0.0.1', port: 0 } });
    await client.call('run', { type: 'resize', data: { first: true } });
    const { page, problems } = await open();
    await page.goto(`${base}/`);
    await page.locator('#paused', { hasText: 'none' }).waitFor();
    await Promise.all([page.waitForURL(/notice=/), page.click('button:has-text("Pause resize")')]);
    await page.locator('.notice', { hasText: 'type resize paused' }).waitFor();
    await page.locator('#paused', { hasText: 'resize' }).waitFor();
    const types = (await client.call('types')).result.types;
    assert.equal(types.find((x: { type: string }) => x.type === 'resize').paused, true);
    const held = (await client.call('submit', { type: 'resize', data: { held: true } })).result;
    await Promise.all([page.waitForURL(/notice=/), page.click('button:has-text("Resume resize")')]);
    await page.locator('.notice', { hasText: 'type resize resumed' }).waitFor();
    await page.locator('#paused', { hasText: 'none' }).waitFor();
    assert.equal((await client.call('wait', { id: held.id })).result.status, 'done');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('read-only: no action is shown, and a POST is refused', async () => {
    const { client, base } = await serve({ http: { host: '127.0.0.1', port: 0, readOnly: true } });
    const { result } = await client.call('submit', { type: 'later', data: 'stay' });
    const { page, problems } = await open();
    await page.goto(`${base}/tasks/${result.id}`);
    await page.locator('h1', { hasText: `Task ${result.id}` }).waitFor();
    assert.equal(await page.locator('form.action').count(), 0);
    const status = await page.evaluate(
      (id) => fetch(`/api/tasks/${id}/cancel`, { method: 'POST' }).then((r) => r.status),
      result.id,
    );
    assert.equal(status, 403);
    assert.equal((await client.call('status', { id: result.id })).result.status, 'enqueued');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('with auth: the login form, then the dashboard', async () => {
    // The server's own auth file: the dashboard checks the tokens the task port checks.
    const dir = mkdtempSync(join(tmpdir(), 'taskwire-browser-auth-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const { base } = await serve({
      authFile: writeAuthFile(dir),
      http: { host: '127.0.0.1', port: 0 },
    });
    const { page, problems } = await open();
    await page.goto(`${base}/tasks?status=failed`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name="token"]', 'not-a-valid-token-at-all');
    await page.click('button:has-text("Log in")');
    await page.locator('.notice', { hasText: 'not valid' }).waitFor();
    // A valid token without the admin role does not open the dashboard either.
    await page.fill('input[name="token"]', TOKENS.client);
    await page.click('button:has-text("Log in")');
    await page.locator('.notice').waitFor();
    assert.match(page.url(), /\/login/);
    await page.fill('input[name="token"]', TOKENS.admin);
    await Promise.all([
      page.waitForURL(`${base}/tasks?status=failed`),
      page.click('button:has-text("Log in")'),
    ]);
    await page.locator('h1', { hasText: 'Tasks' }).waitFor();
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === 'taskwire_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict');
    await page.goto(`${base}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await Promise.all([page.waitForURL(/\/login$/), page.click('button:has-text("Log out")')]);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
