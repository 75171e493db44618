import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, ScriptedServer, taskView } from '../client/scripted-server.ts';

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

  it('client commands and worker explain the address list in --help', async () => {
    for (const name of [...Object.keys(CLIENT_COMMANDS), 'worker', 'workers', 'tally']) {
      const run = await cli([name, '--help']);
      assert.equal(run.code, 0);
      assert.ok(run.stdout.includes('host[:port][,host[:port]...]'), `${name} --help`);
      assert.ok(run.stdout.includes('--order'), `${name} --help lists --order`);
    }
  });

  for (const [args, env, message] of [
    [['status', '1', '-H', 'a:x'], {}, "invalid server address 'a:x': port 'x' is not a number"],
    [
      ['worker', '-H', '127.0.0.1:5000,,b'],
      {},
      "invalid server address list '127.0.0.1:5000,,b': item 2 is empty (expected host[:port])",
    ],
    [
      ['task', 'flip', 'x', '--host', 'a:70000'],
      {},
      "invalid server address 'a:70000': port 70000 is out of range (1-65535)",
    ],
    [
      ['cancel', '1'],
      { TASKWIRE_HOST: 'a,::1' },
      "invalid server address '::1': an IPv6 address needs brackets, e.g. [::1]:5000",
    ],
  ] as [string[], Record<string, string>, string][]) {
    it(`a bad address list (${args.join(' ')} ${JSON.stringify(env)}) exits 2 with one line`, async () => {
      const run = await cli(args, env);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr, `taskwire: ${message} (-H or TASKWIRE_HOST)\n`);
    });
  }

  it('connects to the first live server of -H; an item without a port takes -P', async () => {
    const server = await ScriptedServer.start((req, conn) => {
      if (req.method === 'cancel') conn.respond(req.id, taskView('4', { status: 'canceled' }));
    });
    try {
      const dead = await freePort();
      const run = await cli(['cancel', '4', '-H', `127.0.0.1:${dead},127.0.0.1`], {
        TASKWIRE_PORT: String(server.port),
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '4: canceled\n');
    } finally {
      await server.close();
    }
  });

  it('cannot connect to any server of -H: exits 3 with one line naming each', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const run = await cli(['status', '1', '-H', `127.0.0.1:${p1},127.0.0.1:${p2}`]);
    assert.equal(run.code, 3);
    assert.equal(
      run.stderr,
      `taskwire: cannot connect to any of 127.0.0.1:${p1} (ECONNREFUSED), 127.0.0.1:${p2} (ECONNREFUSED)\n`,
    );
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
