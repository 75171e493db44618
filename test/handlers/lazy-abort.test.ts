/** LazyAbort: an abort signal made on demand that behaves like an AbortController's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LazyAbort } from '../../src/handlers/lazy-abort.ts';

describe('LazyAbort', () => {
  it('a signal asked for after the abort comes already aborted, with the reason', () => {
    const a = new LazyAbort();
    const reason = new Error('lease expired');
    a.abort(reason);
    assert.equal(a.aborted, true);
    assert.equal(a.signal.aborted, true);
    assert.equal(a.signal.reason, reason);
  });

  it('a signal asked for before the abort fires its listeners once, with the first reason', () => {
    const a = new LazyAbort();
    const signal = a.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    assert.equal(a.aborted, false);
    a.abort('first');
    a.abort('second');
    assert.deepEqual(seen, ['first']);
    assert.equal(a.reason, 'first');
    assert.equal(a.signal, signal, 'the same signal every time');
  });
});
