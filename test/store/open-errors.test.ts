/**
 * A database that cannot be opened says which file and why, and a server whose port is
 * taken stops before it creates a database.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { spawnCli } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

const STORE = fileURLToPath(new URL('../../src/store/sqlite/store.ts', import.meta.url));

/** Opens a SqliteStore at `path` in a child process as user `nobody` (root writes anywhere). */
async function openAsNobody(path: string): Promise<string> {
  const script = `import { SqliteStore } from ${JSON.stringify(STORE)};
    try { await new SqliteStore({ path: ${JSON.stringify(path)} }).open(); console.log('opened'); }
    catch (e) { console.log(e.message); }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    uid: 65534,
    gid: 65534,
    env: { ...process.env, HOME: '/tmp' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  await once(child, 'close');
  return out.trim();
}

describe('opening a SQLite database that cannot be opened', () => {
  it('names the missing directory', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'no', 'such', 'dir', 'tasks.db');
    await assert.rejects(new SqliteStore({ path }).open(), (err: Error) => {
      assert.equal(
        err.message,
        `cannot open the SQLite database ${path}: the directory ${join(tmp.dir, 'no', 'such', 'dir')} does not exist`,
      );
      return true;
    });
    tmp.remove();
  });

  it('says a read-only file is read-only, not "disk I/O error"', async () => {
    const tmp = tempDir();
    chmodSync(tmp.dir, 0o755);
    const path = join(tmp.dir, 'tasks.db');
    const store = new SqliteStore({ path });
    await store.open();
    await store.close();
    chmodSync(path, 0o444);
    const message =
      process.getuid?.() === 0
        ? await openAsNobody(path)
        : await new SqliteStore({ path }).open().then(
            () => 'opened',
            (e: Error) => e.message,
          );
    assert.equal(
      message,
      `cannot open the SQLite database ${path}: the file is read-only for this user`,
    );
    tmp.remove();
  });
});

describe('a server whose port is taken', () => {
  it('stops with the address in its message before it creates the database file', async () => {
    const tmp = tempDir();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    const db = join(tmp.dir, 'tasks.db');
    try {
      const child = spawnCli(['server', '-P', String(port), '--db', db, '--log-level', 'silent']);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(
        stderr,
        new RegExp(`cannot start the server: .*EADDRINUSE.*127\\.0\\.0\\.1:${port}`),
      );
      assert.equal(existsSync(db), false, 'no database file was made');
    } finally {
      holder.close();
      tmp.remove();
    }
  });
});
