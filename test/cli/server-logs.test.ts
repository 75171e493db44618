/** `taskwire server --log-format pretty` logs readable lines; JSON lines otherwise. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { spawnCli } from '../support/process.ts';
import { tempDir } from '../support/server.ts';

async function firstListeningLine(format: string): Promise<string> {
  const tmp = tempDir();
  const child = spawnCli([
    'server',
    '-P',
    '0',
    '--db',
    join(tmp.dir, 't.db'),
    '--log-format',
    format,
  ]);
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.includes('listening')) resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    return line;
  } finally {
    tmp.remove();
  }
}

describe('server log format', () => {
  it('pretty: a readable line with the level and the message, not JSON', async () => {
    const line = await firstListeningLine('pretty');
    assert.ok(!line.trimStart().startsWith('{'), line);
    assert.match(line, /INFO.*listening/);
  });

  it('json: one JSON object per line', async () => {
    const line = await firstListeningLine('json');
    assert.equal(JSON.parse(line).msg, 'listening');
  });
});
