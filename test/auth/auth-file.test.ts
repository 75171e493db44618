/** The auth file's parser, the role table, the token store and the failure throttle (no sockets). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { methodNames } from '../../src/protocol/schemas.ts';
import { AuthFileError, MIN_TOKEN_LENGTH, parseAuthFile } from '../../src/server/auth/auth-file.ts';
import { isLoopbackHost } from '../../src/server/auth/protected-mode.ts';
import { METHOD_ROLES, maskOf, methodMask, permits } from '../../src/server/auth/roles.ts';
import { AuthThrottle, addressOf } from '../../src/server/auth/throttle.ts';
import { TokenStore } from '../../src/server/auth/token-store.ts';
import { AUTH_LINES, TOKENS } from '../support/auth-file.ts';

const parse = (...lines: string[]) => parseAuthFile(lines.join('\n'), 'tokens.auth');

describe('the auth file', () => {
  it('reads tokens and roles; comments and blank lines are skipped; only hashes are kept', () => {
    const entries = parseAuthFile(AUTH_LINES.join('\n'), 'f');
    assert.deepEqual(
      entries.map((e) => [e.line, e.roles]),
      [
        [2, ['client']],
        [3, ['worker']],
        [5, ['client', 'worker']],
        [6, ['admin']],
      ],
    );
    for (const e of entries) assert.equal(e.hash.length, 32);
    assert.ok(!JSON.stringify(entries).includes(TOKENS.client));
  });

  it('stops at a bad line with the file, the line number and what is wrong', () => {
    const cases: [string[], RegExp][] = [
      [['# ok', 'short client'], /^tokens\.auth:2: token too short \(5 characters; at least 16\)$/],
      [['a'.repeat(20)], /^tokens\.auth:1: no roles after the token/],
      [
        ['', `${'b'.repeat(20)} client,root`],
        /^tokens\.auth:2: unknown role "root" \(roles: client, worker, admin\)$/,
      ],
      [[`${'c'.repeat(20)} client,`], /^tokens\.auth:1: an empty role/],
      [
        [`${'d'.repeat(20)} client`, `${'d'.repeat(20)} admin`],
        /^tokens\.auth:2: the same token as line 1$/,
      ],
      [['# nothing', ''], /^tokens\.auth: no tokens in the file/],
    ];
    for (const [lines, message] of cases) {
      assert.throws(
        () => parse(...lines),
        (e: unknown) => e instanceof AuthFileError && message.test(e.message),
      );
    }
    assert.equal(MIN_TOKEN_LENGTH, 16);
  });

  it('a # inside a token is part of it; after a blank it starts a comment', () => {
    const [e] = parse(`tok#en-0123456789abcdef client # comment`);
    assert.deepEqual(e!.roles, ['client']);
    const store = TokenStore.of(parse('tok#en-0123456789abcdef client'));
    assert.ok(store.check('tok#en-0123456789abcdef'));
  });
});

describe('roles', () => {
  it('every method of the protocol is in METHOD_ROLES (a new method must be classified)', () => {
    const missing = methodNames.filter((m) => !Object.hasOwn(METHOD_ROLES, m));
    assert.deepEqual(
      missing,
      [],
      `classify these in src/server/auth/roles.ts: ${missing.join(', ')}`,
    );
  });

  it('a method the table lacks is admin-only, never open', () => {
    assert.equal(methodMask('operator.somethingNew'), maskOf(['admin']));
    assert.ok(!permits(maskOf(['client', 'worker']), 'operator.somethingNew'));
    assert.ok(permits(maskOf(['admin']), 'operator.somethingNew'));
  });

  it('client submits, worker says hello, admin does everything', () => {
    const client = maskOf(['client']);
    const worker = maskOf(['worker']);
    const admin = maskOf(['admin']);
    assert.ok(permits(client, 'submit') && !permits(client, 'worker.hello'));
    assert.ok(permits(worker, 'worker.hello') && !permits(worker, 'submit'));
    assert.ok(!permits(client, 'workers') && !permits(worker, 'workers'));
    for (const m of methodNames) assert.ok(permits(admin, m), m);
    for (const m of methodNames) if (m !== 'auth') assert.ok(!permits(0, m), m);
  });
});

describe('the token store', () => {
  it('checks a token against the hashes, and a reload keeps unchanged identities', () => {
    const store = TokenStore.of(parse(...AUTH_LINES));
    assert.deepEqual(store.check(TOKENS.both)?.roles, ['client', 'worker']);
    assert.equal(store.check('not-a-token-at-all-xxxxx'), undefined);
    assert.equal(store.check(''), undefined);
  });
});

describe('the failure throttle', () => {
  it('doubles the delay per failure, queues attempts, forgives, and is bounded', () => {
    let now = 0;
    const t = new AuthThrottle({
      baseMs: 100,
      maxMs: 400,
      forgiveMs: 10_000,
      maxAddresses: 3,
      now: () => now,
    });
    assert.equal(t.delay('a'), 0);
    t.failed('a');
    assert.equal(t.delay('a'), 100); // the next attempt waits
    assert.equal(t.delay('a'), 200); // and one made at the same time waits behind it
    now = 300;
    t.failed('a');
    t.failed('a');
    t.failed('a');
    now = 2000;
    assert.equal(t.delay('a'), 0); // past its nextAt: at once
    t.failed('a');
    assert.equal(t.delay('a'), 400); // capped at maxMs
    now = 2000 + 10_001;
    assert.equal(t.delay('a'), 0); // forgiven
    for (const x of ['b', 'c', 'd', 'e']) t.failed(x);
    assert.equal(t.size, 3);
    t.succeeded('e');
    assert.equal(t.delay('e'), 0);
  });

  it('throttles by address, not by port', () => {
    assert.equal(addressOf('127.0.0.1:5000'), '127.0.0.1');
    assert.equal(addressOf('[::1]:5000'), '::1');
    assert.equal(addressOf('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
    assert.ok(isLoopbackHost('127.0.0.9') && isLoopbackHost('::1') && !isLoopbackHost('10.0.0.1'));
  });
});
