/**
 * runHandler: how the built-in executor and the Worker library run a handler, and how they
 * learn how it ended.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LazyAbort } from '../../src/handlers/lazy-abort.ts';
import { runHandler, type TaskHandler, type TaskInput } from '../../src/handlers/run-handler.ts';

const TASK: TaskInput = { id: '7', type: 'flip', data: 'ab', reps: 3, attempt: 2, priority: 0 };

function run(handler: TaskHandler | undefined, abort = new LazyAbort(), seen: number[] = []) {
  return runHandler(handler, TASK, abort, (f) => seen.push(f), 'no handler for flip');
}

describe('runHandler', () => {
  it('gives the handler the task and returns its result with one unit', async () => {
    let input: TaskInput | undefined;
    const outcome = await run(async (task) => {
      input = task;
      return { flipped: 'ba' };
    });
    assert.deepEqual(input, TASK);
    assert.deepEqual(outcome, { kind: 'done', result: { flipped: 'ba' }, units: 1 });
  });

  it('returns the units the handler set, and passes its progress on', async () => {
    const seen: number[] = [];
    const outcome = await run(
      (_task, ctx) => {
        ctx.progress(0.5);
        ctx.setUnits(2);
        return undefined;
      },
      undefined,
      seen,
    );
    assert.deepEqual(outcome, { kind: 'done', result: undefined, units: 2 });
    assert.deepEqual(seen, [0.5]);
  });

  it('a throw fails the attempt with its message, a thrown non-error too', async () => {
    assert.deepEqual(
      await run(() => {
        throw new Error('bad input');
      }),
      { kind: 'failed', message: 'bad input' },
    );
    assert.deepEqual(await run(() => Promise.reject('plain')), {
      kind: 'failed',
      message: 'plain',
    });
  });

  it('a missing handler fails the attempt with the message given', async () => {
    assert.deepEqual(await run(undefined), { kind: 'failed', message: 'no handler for flip' });
  });

  it('a throw after the signal fired is an abort, with its reason', async () => {
    const abort = new LazyAbort();
    const reason = new Error('lease revoked');
    const outcome = await run(async (_task, ctx) => {
      const signal = ctx.signal;
      abort.abort(reason);
      assert.equal(signal.aborted, true, 'the signal the handler holds fires');
      throw signal.reason;
    }, abort);
    assert.deepEqual(outcome, { kind: 'aborted', reason });
  });

  it('a handler that returns a value gets its outcome at once; one that returns a promise, a promise', async () => {
    const now = run(() => 'ab');
    assert.ok(!(now instanceof Promise), 'a plain value is not wrapped in a promise');
    assert.deepEqual(now, { kind: 'done', result: 'ab', units: 1 });
    const later = run(async () => 'ab');
    assert.ok(later instanceof Promise);
    assert.deepEqual(await later, { kind: 'done', result: 'ab', units: 1 });
  });

  it('a handler may destructure its context: progress, setUnits and signal still work', async () => {
    const seen: number[] = [];
    const abort = new LazyAbort();
    const outcome = await run(
      (_task, { progress, setUnits, signal }) => {
        progress(0.25);
        setUnits(3);
        return signal.aborted;
      },
      abort,
      seen,
    );
    assert.deepEqual(outcome, { kind: 'done', result: false, units: 3 });
    assert.deepEqual(seen, [0.25]);
  });

  it('a handler that finishes despite the abort is done: the caller decides', async () => {
    const abort = new LazyAbort();
    abort.abort(new Error('gone'));
    assert.deepEqual(await run(() => 'late', abort), { kind: 'done', result: 'late', units: 1 });
  });
});
