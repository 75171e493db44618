/** The store status `ping` reports: what makes it unavailable, and what proves it back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreHealth } from '../../src/server/store-health.ts';

const failure = (code: string) => Object.assign(new Error(code), { code });

describe('store health', () => {
  it('an unreachable store is back as soon as anything reaches it', () => {
    const changes: string[] = [];
    const health = new StoreHealth((status) => changes.push(status));
    health.failed(failure('ECONNREFUSED'));
    assert.equal(health.status, 'unavailable');
    assert.equal(health.error, 'ECONNREFUSED');
    health.ok(false);
    assert.equal(health.status, 'ok');
    assert.deepEqual(changes, ['unavailable', 'ok']);
  });

  it('a full disk is back only once a write fits, not when a sweep or a claim succeeds', () => {
    const health = new StoreHealth(() => undefined);
    health.failed(failure('SQLITE_FULL'));
    health.ok(false);
    assert.equal(health.status, 'unavailable');
    health.ok(true);
    assert.equal(health.status, 'ok');
    health.failed(failure('53100'));
    health.ok(false);
    assert.equal(health.status, 'unavailable', 'PostgreSQL disk_full alike');
  });

  it('a failure that is not about the store (a bug, a bad request) changes nothing', () => {
    const health = new StoreHealth(() => assert.fail('no change expected'));
    health.failed(failure('SQLITE_CONSTRAINT'));
    health.failed(new TypeError('oops'));
    assert.equal(health.status, 'ok');
  });
});
