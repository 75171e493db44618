import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, ScriptedServer } from '../client/scripted-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process, the way a user would. */
function cli(
  args: string[],
  env: Record<string, string> = {},
  onSpawn?: (child: ChildProcess) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, TASKWIRE_HOST: '', TASKWIRE_PORT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', reject);
    onSpawn?.(child);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const CLIENT_COMMANDS: Record<string, string[]> = {
  task: ['--packet', '--json', '--reps', '--host', '--port'],
  status: ['--json', '--host', '--port'],
  wait: ['--json', '--host', '--port'],
  cancel: ['--host', '--port'],
};

describe('taskwire CLI', { concurrency: true }, () => {
  it('--help exits 0 and lists every command', async () => {
    const run = await cli(['--help']);
    assert.equal(run.code, 0);
    for (const name of ['server', ...Object.keys(CLIENT_COMMANDS)])
      assert.match(run.stdout, new RegExp(`\\b${name}\\b`));
  });

  it('--version prints the package version', async () => {
    const run = await cli(['--version']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^\d+\.\d+\.\d+/);
  });

  for (const [name, options] of Object.entries(CLIENT_COMMANDS)) {
    it(`${name} --help exits 0 and lists its options`, async () => {
      const run = await cli([name, '--help']);
      assert.equal(run.code, 0);
      assert.equal(run.stderr, '');
      for (const option of options)
        assert.ok(run.stdout.includes(option), `${name} --help lists ${option}`);
      assert.match(run.stdout, /TASKWIRE_HOST/);
      assert.match(run.stdout, /TASKWIRE_PORT/);
    });
  }

  it('server --help exits 0', async () => {
    assert.equal((await cli(['server', '--help'])).code, 0);
  });

  for (const args of [
    ['nosuchcommand'],
    ['status'],
    ['task', 'flip'],
    ['task', 'flip', 'x', '--reps', 'zero'],
  ]) {
    it(`bad usage (${args.join(' ')}) exits 2 with one line`, async () => {
      const run = await cli(args);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^taskwire: [^\n]+\n$/);
    });
  }

  it('cannot connect: exits 3 with one stderr line naming host:port', async () => {
    const port = await freePort();
    const run = await cli(['status', '1', '--port', String(port)]);
    assert.equal(run.code, 3);
    assert.equal(run.stderr, `taskwire: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`);
    assert.equal(run.stdout, '');
  });

  it('honours TASKWIRE_PORT and TASKWIRE_HOST', async () => {
    const port = await freePort();
    const run = await cli(['task', '1', 'abc', '--packet'], {
      TASKWIRE_HOST: '127.0.0.1',
      TASKWIRE_PORT: String(port),
    });
    assert.equal(run.code, 3);
    assert.equal(run.stderr, `taskwire: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`);
  });

  it('a bad TASKWIRE_PORT is a usage error', async () => {
    const run = await cli(['cancel', '1'], { TASKWIRE_PORT: 'http' });
    assert.equal(run.code, 2);
    assert.equal(run.stderr, "taskwire: invalid port 'http' (TASKWIRE_PORT)\n");
  });

  it('Ctrl-C in wait detaches with exit 130', async () => {
    let child: ChildProcess | undefined;
    const server = await ScriptedServer.start((req) => {
      if (req.method === 'wait') child?.kill('SIGINT');
    });
    try {
      const run = await cli(['wait', '7', '--port', String(server.port)], {}, (c) => {
        child = c;
      });
      assert.equal(run.code, 130);
      assert.equal(run.stderr, 'detached; the task keeps running. Resume with: taskwire wait 7\n');
    } finally {
      await server.close();
    }
  });
});
