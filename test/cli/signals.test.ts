/** The CLI's one signal handler: the first SIGINT/SIGTERM stops gracefully, a second forces. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onStopSignals, untilStopSignal } from '../../src/cli/signals.ts';

describe('onStopSignals', () => {
  it('calls stop on the first signal and force on the second, of either kind', () => {
    const seen: string[] = [];
    const remove = onStopSignals(
      (signal) => seen.push(`stop ${signal}`),
      (signal) => seen.push(`force ${signal}`),
    );
    try {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGINT', 'SIGINT');
    } finally {
      remove();
    }
    assert.deepEqual(seen, ['stop SIGTERM', 'force SIGINT']);
  });

  it('removes its handlers, so a later signal reaches neither', () => {
    const seen: string[] = [];
    const count = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const [int, term] = count();
    const remove = onStopSignals(() => seen.push('stop'));
    assert.deepEqual(count(), [int! + 1, term! + 1]);
    remove();
    assert.deepEqual(count(), [int, term]);
    assert.deepEqual(seen, []);
  });

  it('untilStopSignal aborts the signal of the running body on SIGINT', async () => {
    const reason = await untilStopSignal(async (signal) => {
      queueMicrotask(() => process.emit('SIGINT', 'SIGINT'));
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return signal.aborted;
    });
    assert.equal(reason, true);
  });
});
