#!/usr/bin/env node
/**
 * Runs `node --import tsx --test ARGS…` with a bound on the whole run. `--test-timeout`
 * fails a test that hangs, but a test file whose tests are over and that keeps a handle open
 * (a socket a failed test never closed) keeps the run waiting for ever; `--test-force-exit`
 * would end it but drops the rest of a file's results when files run in parallel
 * (nodejs/node#64833). So the run gets a deadline and fails loudly past it.
 *
 *   node scripts/run-tests.mjs [--limit-min N] -- <node --test options and files>
 */
import { spawn } from 'node:child_process';

const argv = process.argv.slice(2);
let limitMin = 15;
if (argv[0] === '--limit-min') {
  limitMin = Number(argv[1]);
  argv.splice(0, 2);
}
if (argv[0] === '--') argv.shift();

// Its own process group, so the deadline stops the per-file test processes too (an orphan
// holding stdout would keep CI reading).
const leaks = new URL('../test/support/leaks.ts', import.meta.url).pathname;
const child = spawn(process.execPath, ['--import', 'tsx', '--import', leaks, '--test', ...argv], {
  stdio: 'inherit',
  detached: true,
});
const signalGroup = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => signalGroup(signal));
const deadline = setTimeout(() => {
  console.error(
    `\nrun-tests: still running after ${limitMin} min: a test file did not exit ` +
      '(a handle left open, often by a failed test); stopping it',
  );
  process.exitCode = 1;
  signalGroup('SIGKILL');
}, limitMin * 60_000);
child.on('exit', (code) => {
  clearTimeout(deadline);
  // Killed by a signal (ours past the deadline, or another): no code, a failure.
  process.exitCode ??= code ?? 1;
});
