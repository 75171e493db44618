/**
 * The server and worker commands lower V8's tiering thresholds (src/cli/tier-up.ts): a small
 * hot function is optimized by TurboFan after 1,000 calls with them and not without them,
 * and TASKWIRE_V8_FLAGS replaces or (empty) removes them. Checked in a child process with
 * V8's natives syntax, compiling synchronously so that the answer does not depend on timing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TIER_UP_FLAGS } from '../../src/cli/tier-up.ts';
import { spawnServer } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

const TIER_UP = fileURLToPath(new URL('../../src/cli/tier-up.ts', import.meta.url));

/** `%GetOptimizationStatus` bit: the function runs TurboFan code. */
const TURBOFAN = 1 << 4;

const SCRIPT = `
const { tierUpSooner } = await import(${JSON.stringify(TIER_UP)});
const env = process.env.CASE === 'unset' ? {} : { TASKWIRE_V8_FLAGS: process.env.CASE };
process.stdout.write(tierUpSooner(env) + '\\n');
function add(o) { return o.a + o.b * 2 + (o.c ?? 0); }
let sum = 0;
for (let i = 0; i < 1000; i++) sum += add({ a: i, b: 1 });
process.stdout.write(String(%GetOptimizationStatus(add)) + ' ' + sum + '\\n');
`;

/** The flags set and whether `add` was optimized, in a fresh process. */
function run(flagsCase: string): { flags: string; optimized: boolean } {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--allow-natives-syntax',
      '--no-concurrent-recompilation',
      '--input-type=module',
      '-e',
      SCRIPT,
    ],
    { env: { ...process.env, CASE: flagsCase }, encoding: 'utf8' },
  );
  const [flags = '', status = ''] = out.trimEnd().split('\n');
  return { flags, optimized: (Number(status.split(' ')[0]) & TURBOFAN) !== 0 };
}

describe('tierUpSooner', () => {
  it('sets flags under which a hot function is optimized after 1,000 calls', () => {
    const { flags, optimized } = run('unset');
    assert.match(flags, /--interrupt-budget=\d+/);
    assert.equal(optimized, true);
  });

  it('sets none with TASKWIRE_V8_FLAGS empty, and the same function is not optimized yet', () => {
    assert.deepEqual(run(''), { flags: '', optimized: false });
  });

  it('takes the flags from TASKWIRE_V8_FLAGS when it is set', () => {
    const flags = '--interrupt-budget=67584 --minimum-invocations-after-ic-update=500';
    assert.deepEqual(run(flags), { flags, optimized: false });
  });
});

describe('taskwire server', () => {
  it('sets the tiering flags before it serves, and logs them', async () => {
    const tmp = tempDir();
    const env = { TASKWIRE_V8_FLAGS: undefined };
    const server = await spawnServer(
      ['--db', `${tmp.dir}/t.db`, '--log-level', 'debug', '--log-format', 'json'],
      env,
    );
    try {
      const set = server.logs.find((l) => l.msg === 'v8 tiering flags set');
      assert.equal(set?.v8Flags, TIER_UP_FLAGS, JSON.stringify(server.logs));
    } finally {
      server.child.kill('SIGTERM');
      assert.equal((await server.exited).code, 0);
      tmp.remove();
    }
  });
});
