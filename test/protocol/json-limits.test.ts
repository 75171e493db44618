/** checkJsonLimits: depth and distinct key names read from the bytes, strings skipped exactly. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkJsonLimits } from '../../src/protocol/framing/json-limits.ts';
import { topLevelId } from '../../src/server/session/limits.ts';

const check = (text: string, maxDepth = 4, maxKeys = 3) =>
  checkJsonLimits(Buffer.from(text), { maxDepth, maxKeys });

describe('checkJsonLimits', () => {
  it('counts nesting of objects and arrays, up to and past the limit', () => {
    assert.equal(check('[[[[1]]]]'), undefined);
    assert.deepEqual(check('[[[[[1]]]]]'), { limit: 'depth', max: 4 });
    assert.deepEqual(check('{"a":{"b":[{"c":[0]}]}}'), { limit: 'depth', max: 4 });
    assert.equal(check('[[1],[2],[3],[[4]]]', 3), undefined, 'siblings do not add up');
  });

  it('counts distinct key names: a repeated name once', () => {
    assert.equal(check('{"a":1,"b":2,"c":3}', 4, 3), undefined);
    assert.deepEqual(check('{"a":1,"b":2,"c":3,"d":4}', 4, 3), { limit: 'keys', max: 3 });
    const repeated = `[${Array.from({ length: 500 }, () => '{"a":0,"b":1}').join(',')}]`;
    assert.equal(check(repeated, 4, 3), undefined);
  });

  it('ignores brackets, colons and escaped quotes inside strings', () => {
    const tricky = JSON.stringify({ a: '[[[[[[{{{{ : : :', b: 'say \\"[[[[[\\" \\\\', c: '"' });
    assert.equal(check(tricky, 2, 3), undefined);
    assert.deepEqual(check(`${tricky.slice(0, -1)},"d":[[[[0]]]]}`, 2, 10), {
      limit: 'depth',
      max: 2,
    });
    const unicode = JSON.stringify({ ключ: 'знач[[[[', κλειδί: 'ε' });
    assert.equal(check(unicode, 1, 2), undefined);
  });

  it('finds the id of a refused single request, not of a batch', () => {
    const id = (text: string) => topLevelId(Buffer.from(text));
    assert.equal(id('{"jsonrpc":"2.0","id":7,"method":"submit","params":{}}'), 7);
    assert.equal(id('{"params":{"id":"inner"},"id":"outer"}'), 'outer');
    assert.equal(id('{"jsonrpc":"2.0","method":"x","params":{"id":3}}'), null);
    assert.equal(id('[{"id":1},{"id":2}]'), null);
    assert.equal(id('{"data":"\\"id\\":5","id":-2}'), -2);
  });
});
