/** Every error code and method of the protocol is documented in docs/protocol.md. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { methodNames } from '../../src/protocol/schemas.ts';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

describe('docs/protocol.md', () => {
  it('lists every error code with its name', () => {
    for (const [name, code] of Object.entries(ErrorCode)) {
      assert.match(
        doc,
        new RegExp(`\\| ${code} \\| \`${name}\` \\|`),
        `${name} (${code}) is documented`,
      );
    }
  });

  it('documents every method', () => {
    for (const method of methodNames) {
      assert.ok(doc.includes(`| \`${method}\` |`), `${method} is documented`);
    }
  });
});
