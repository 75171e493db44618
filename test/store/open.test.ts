import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openStoreFromOption } from '../../src/store/open.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

describe('openStoreFromOption', () => {
  it('maps postgres:// and postgresql:// URLs to a PostgreSQL store', () => {
    for (const url of [
      'postgres://u@db.example:5432/tasks',
      'postgresql://u:p@127.0.0.1/tasks?options=-c%20search_path%3Dq',
      'POSTGRES://host/db',
    ]) {
      const store = openStoreFromOption(url, { poolSize: 3 });
      assert.ok(store instanceof PostgresStore, url);
      assert.equal(store.capabilities.exclusive, false);
    }
  });

  it('maps sqlite:PATH, sqlite://PATH and plain paths to a SQLite store on that file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskwire-open-'));
    try {
      const cases = [
        [`sqlite:${path.join(dir, 'a.db')}`, 'a.db'],
        [`sqlite://${path.join(dir, 'b.db')}`, 'b.db'],
        [path.join(dir, 'c.db'), 'c.db'],
      ] as const;
      for (const [option, file] of cases) {
        const store = openStoreFromOption(option, { fsync: true });
        assert.ok(store instanceof SqliteStore, option);
        assert.equal(store.capabilities.exclusive, true);
        await store.open();
        try {
          assert.equal(store.pragma('synchronous'), 2, 'fsync is passed on (FULL)');
        } finally {
          await store.close();
        }
        assert.ok(fs.existsSync(path.join(dir, file)), `${option} created ${file}`);
      }
      const relative = openStoreFromOption('sqlite:taskwire.db');
      assert.ok(relative instanceof SqliteStore);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses other schemes and an empty path, naming the choices', () => {
    for (const option of ['mysql://localhost/db', 'http://x', 'sqlite://redis://x']) {
      assert.throws(() => openStoreFromOption(option), /unsupported store .*postgres:\/\//, option);
    }
    for (const option of ['', 'sqlite:', 'sqlite://']) {
      assert.throws(() => openStoreFromOption(option), /no database file/, option);
    }
  });
});
