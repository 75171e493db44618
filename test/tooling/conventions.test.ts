/**
 * House rules the linter does not hold: one convention for private members (TypeScript's
 * `private`, never `#` fields), and source files small enough to read in one sitting.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Lines of a file without its comment lines, as the line count a reader sees. */
function codeLines(text: string): string[] {
  return text.split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l));
}

describe('source conventions', () => {
  it('private members use `private`, not `#` fields', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      codeLines(readFileSync(file, 'utf8')).forEach((line) => {
        // A `#name` outside strings: a field declaration or an access of one.
        const code = line.replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '');
        if (/(^|[\s.(!])#[A-Za-z_]\w*/.test(code)) found.push(`${file}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, []);
  });

  it('no source file is over 420 lines', () => {
    const long = sourceFiles(SRC)
      .map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter((f) => f.lines > 420);
    assert.deepEqual(long, []);
  });
});
