/** The HTTP listener's probes, its address and protected-mode rule, and the read-only mode. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseHttpAddress } from '../../src/server/http/address.ts';
import { TaskwireServer } from '../../src/server/server.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { spawnCli } from '../support/process.ts';
import { RawClient, startServer, tempDir } from '../support/server.ts';

const HTTP = { host: '127.0.0.1', port: 0 };

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

describe('HTTP probes', () => {
  it('/healthz and /readyz answer 200 while the store answers', async () => {
    await using t = await startServer({ http: HTTP });
    const a = t.server.httpAddress;
    assert.ok(a);
    const base = `http://127.0.0.1:${a.port}`;
    assert.deepEqual(await get(base, '/healthz'), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await get(base, '/readyz'), {
      status: 200,
      body: { status: 'ok', store: 'ok' },
    });
  });

  it('/readyz answers 503 while the store is unavailable, and 200 once it is back', async () => {
    const tmp = tempDir();
    // A database capped at a few pages stands in for a full disk: SQLite fails with SQLITE_FULL.
    const store = new SqliteStore({ path: join(tmp.dir, 'full.db'), maxPageCount: 40 });
    await using t = await startServer({ store, http: HTTP, delayScale: 1000, graceMs: 0 });
    const base = `http://127.0.0.1:${t.server.httpAddress!.port}`;
    const c = await RawClient.connect(t.port);
    let refused = false;
    for (let i = 0; i < 500 && !refused; i++) {
      const reply = await c.call('submitMany', {
        tasks: Array.from({ length: 20 }, () => ({ type: 'flip', data: 'x'.repeat(200) })),
      });
      refused = reply.error !== undefined;
    }
    assert.ok(refused, 'the store filled up');
    const down = await get(base, '/readyz');
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'unavailable');
    assert.match(down.body.error, /full/);
    assert.equal((await get(base, '/healthz')).status, 200, 'the process is still up');
    store.pragma('max_page_count = 100000');
    assert.ok((await c.call('submit', { type: 'flip', data: 'after' })).result.id);
    assert.equal((await get(base, '/readyz')).status, 200);
    c.close();
    tmp.remove();
  });

  it('read-only: anything but GET and HEAD is refused with 403', async () => {
    await using t = await startServer({ http: { ...HTTP, readOnly: true } });
    const base = `http://127.0.0.1:${t.server.httpAddress!.port}`;
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${base}/healthz`, { method });
      assert.equal(res.status, 403, method);
      assert.match(((await res.json()) as { error: string }).error, /read-only/);
    }
    assert.equal((await fetch(`${base}/healthz`, { method: 'HEAD' })).status, 200);
  });

  it('a non-loopback HTTP address without auth refuses to start, unless insecure', async () => {
    const tmp = tempDir();
    const store = new SqliteStore({ path: join(tmp.dir, 'a.db') });
    const server = new TaskwireServer({ store, port: 0, http: { host: '0.0.0.0', port: 0 } });
    await assert.rejects(server.start(), /refuses to start.*--auth-file.*--insecure to accept/s);
    await server.close();
    await using t = await startServer({ http: { host: '0.0.0.0', port: 0 }, insecure: true });
    assert.equal(t.server.httpAddress?.host, '0.0.0.0');
    tmp.remove();
  });

  it('the CLI refuses a bad --http and a non-loopback one without --insecure', async () => {
    const run = async (args: string[]) => {
      const child = spawnCli(['server', '--port', '0', ...args]);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      return { code, stderr };
    };
    const tmp = tempDir();
    const bad = await run(['--db', join(tmp.dir, 'x.db'), '--http', 'nowhere']);
    assert.equal(bad.code, 2, 'a usage error');
    assert.match(bad.stderr, /--http.*expected HOST:PORT/);
    const open = await run(['--db', join(tmp.dir, 'x.db'), '--http', '0.0.0.0:0']);
    assert.equal(open.code, 1);
    assert.match(open.stderr, /HTTP listener on 0\.0\.0\.0 refuses to start/);
    tmp.remove();
  });

  it('an HTTP port already taken fails the start, naming the cause', async () => {
    await using first = await startServer({ http: HTTP });
    const taken = first.server.httpAddress!.port;
    const tmp = tempDir();
    const store = new SqliteStore({ path: join(tmp.dir, 'b.db') });
    const server = new TaskwireServer({ store, port: 0, http: { host: '127.0.0.1', port: taken } });
    await assert.rejects(server.start(), /EADDRINUSE/);
    await server.close();
    tmp.remove();
  });

  it('parses HOST:PORT, [IPv6]:PORT, :PORT and PORT', () => {
    assert.deepEqual(parseHttpAddress('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseHttpAddress('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseHttpAddress(':9'), { host: '127.0.0.1', port: 9 });
    assert.deepEqual(parseHttpAddress('9'), { host: '127.0.0.1', port: 9 });
    assert.throws(() => parseHttpAddress('host:99999'), /0 to 65535/);
    assert.throws(() => parseHttpAddress('[nope]:1'), /not an IPv6/);
    assert.throws(() => parseHttpAddress('a:b:c'), /HOST:PORT/);
  });
});
