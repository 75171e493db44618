/**
 * Loaded into every test process (scripts/run-tests.mjs): after a test file's tests, the
 * file fails if it left something alive that keeps the process running (a server, a socket,
 * a database pool, a child process, a timer), as graphile-worker checks its pools. What is
 * still closing gets a few seconds to finish; the pipes to the test runner do not count.
 */
import { after } from 'node:test';
import { setTimeout as pause, setImmediate as turn } from 'node:timers/promises';

/** Resource kinds that are the test runner's own or end by themselves. */
const IGNORED = new Set(['PipeWrap', 'TTYWrap', 'FSReqCallback', 'FSReqPromise', 'Immediate']);
const SETTLE_MS = 5000;

function alive(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => !IGNORED.has(kind));
}

after(async () => {
  await turn();
  const deadline = Date.now() + SETTLE_MS;
  // Closing is asynchronous (a socket's close event, a pool's end): look again until it is
  // done or the deadline passes. The pause is unref'd so it keeps nothing alive itself.
  while (alive().length > 0 && Date.now() < deadline) await pause(50, undefined, { ref: false });
  const left = alive();
  if (left.length > 0) {
    throw new Error(`the test file left handles open: ${left.join(', ')}`);
  }
});
