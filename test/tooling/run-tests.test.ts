/** scripts/run-tests.mjs: the test run's deadline, which `npm test` relies on. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/server.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/run-tests.mjs', import.meta.url));

function run(limitMin: number, files: Record<string, string>) {
  const tmp = tempDir();
  const paths = Object.entries(files).map(([name, body]) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, body);
    return path;
  });
  const r = spawnSync(process.execPath, [SCRIPT, '--limit-min', String(limitMin), '--', ...paths], {
    encoding: 'utf8',
    // Without the runner's own marker, which would make the nested run report to this one.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  tmp.remove();
  return r;
}

const passing = "import { it } from 'node:test';\nit('passes', () => {});\n";

describe('run-tests', () => {
  it("passes a passing run's exit code through, and a failing one's", () => {
    assert.equal(run(1, { 'ok.test.mjs': passing }).status, 0);
    const failing =
      "import { it } from 'node:test';\nit('fails', () => { throw new Error('no'); });\n";
    assert.notEqual(run(1, { 'bad.test.mjs': failing }).status, 0);
  });

  it('stops a run whose file never exits (a leaked handle) and fails it', () => {
    const leak =
      "import { it } from 'node:test';\nit('leaks', () => { setInterval(() => {}, 1000); });\n";
    const r = run(0.05, { 'leak.test.mjs': leak });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /did not exit/);
  });
});
