import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatPythonDict,
  MAX_PYTHON_DICT_CHARS,
  parsePythonDict,
} from '../../src/protocol/compat/python-dict.ts';

function entries(text: string): [number, number][] {
  const r = parsePythonDict(text);
  assert.ok(r.ok, `${JSON.stringify(text)} should parse: ${r.ok ? '' : r.reason}`);
  return r.entries;
}

function reason(text: string): string {
  const r = parsePythonDict(text);
  assert.ok(!r.ok, `${JSON.stringify(text)} should be rejected`);
  return r.reason;
}

describe('parsePythonDict', () => {
  it('parses the shapes the tally worker sends', () => {
    assert.deepEqual(entries('{}'), []);
    assert.deepEqual(entries('{11: 2}'), [[11, 2]]);
    assert.deepEqual(entries('{11:2}'), [[11, 2]]);
    assert.deepEqual(entries('{3: 1, 4: 2}'), [
      [3, 1],
      [4, 2],
    ]);
  });

  it('allows whitespace between tokens and a trailing comma', () => {
    assert.deepEqual(entries(' \t{ 3 :1 ,\n 4: 2 , }\r\n'), [
      [3, 1],
      [4, 2],
    ]);
    assert.deepEqual(entries('{ }'), []);
    assert.deepEqual(entries('{1: 2,}'), [[1, 2]]);
    assert.deepEqual(entries('{\f1:2}'), [[1, 2]]);
  });

  it('allows one sign on keys and values, as Python does', () => {
    assert.deepEqual(entries('{-1: -2}'), [[-1, -2]]);
    assert.deepEqual(entries('{+1: + 2, - 3: 4}'), [
      [1, 2],
      [-3, 4],
    ]);
    assert.deepEqual(entries('{-0: 0}'), [[0, 0]]);
    assert.ok(Object.is(entries('{-0: -0}')[0]![1], 0));
  });

  it("follows Python's leading-zero rule", () => {
    assert.deepEqual(entries('{0: 00}'), [[0, 0]]);
    assert.equal(reason('{07: 1}'), 'leading zeros are not allowed in an integer at offset 1');
    assert.equal(reason('{1: 010}'), 'leading zeros are not allowed in an integer at offset 4');
  });

  it('keeps the last value of a repeated key, at the first position', () => {
    assert.deepEqual(entries('{1: 2, 3: 4, 1: 5}'), [
      [1, 5],
      [3, 4],
    ]);
    assert.deepEqual(entries('{0: 1, -0: 2}'), [[0, 2]]);
  });

  it('accepts integers up to Number.MAX_SAFE_INTEGER and rejects larger', () => {
    assert.deepEqual(entries('{9007199254740991: -9007199254740991}'), [
      [9007199254740991, -9007199254740991],
    ]);
    assert.equal(
      reason('{9007199254740992: 1}'),
      'integer at offset 1 exceeds Number.MAX_SAFE_INTEGER',
    );
    assert.equal(
      reason(`{1: -${'9'.repeat(400)}}`),
      'integer at offset 5 exceeds Number.MAX_SAFE_INTEGER',
    );
  });

  it('rejects non-integers with an exact reason', () => {
    const cases: [string, string][] = [
      ['', "expected '{' at offset 0, found end of input"],
      ['[1, 2]', 'expected \'{\' at offset 0, found "["'],
      ["{'a': 1}", 'expected an integer at offset 1, found "\'"'],
      ['{1: "2"}', 'expected an integer at offset 4, found "\\""'],
      ['{1: 2.5}', 'not a plain decimal integer at offset 4'],
      ['{1: 1e3}', 'not a plain decimal integer at offset 4'],
      ['{1: 0x10}', 'not a plain decimal integer at offset 4'],
      ['{1: 1_000}', 'not a plain decimal integer at offset 4'],
      ['{1: 2j}', 'not a plain decimal integer at offset 4'],
      ['{True: 1}', 'expected an integer at offset 1, found "T"'],
      ['{1: {2: 3}}', 'expected an integer at offset 4, found "{"'],
      ['{1: [2]}', 'expected an integer at offset 4, found "["'],
      ['{1: --2}', 'expected an integer at offset 5, found "-"'],
      ['{1: +-2}', 'expected an integer at offset 5, found "-"'],
      ['{1: -}', 'expected an integer at offset 5, found "}"'],
      ['{1 2}', 'expected \':\' at offset 3, found "2"'],
      ['{1: 2 3: 4}', "expected ',' or '}' at offset 6, found \"3\""],
      ['{1: 2,, }', 'expected an integer at offset 6, found ","'],
      ['{,}', 'expected an integer at offset 1, found ","'],
      ['{1: 2', "expected ',' or '}' at offset 5, found end of input"],
      ['{1: 2} x', 'expected end of input at offset 7, found "x"'],
      ['{1: 2}{}', 'expected end of input at offset 6, found "{"'],
      ['{1: 2} # note', 'expected end of input at offset 7, found "#"'],
      ['{1:\u00a02}', 'expected an integer at offset 3, found "\u00a0"'],
      ['{1: \uff12}', 'expected an integer at offset 4, found "\uff12"'],
      ['{1, 2}', 'expected \':\' at offset 2, found ","'],
    ];
    for (const [text, want] of cases) assert.equal(reason(text), want, JSON.stringify(text));
  });

  it('rejects input longer than the limit', () => {
    const fits = `{1: ${'0'.repeat(MAX_PYTHON_DICT_CHARS - 5)}}`;
    assert.equal(fits.length, MAX_PYTHON_DICT_CHARS);
    assert.deepEqual(entries(fits), [[1, 0]]);
    assert.equal(reason(`${fits} `), 'input longer than 10000 characters');
  });
});

describe('formatPythonDict', () => {
  it("formats like Python's str(dict)", () => {
    assert.equal(formatPythonDict([]), '{}');
    assert.equal(formatPythonDict([[11, 2]]), '{11: 2}');
    assert.equal(
      formatPythonDict([
        [3, 1],
        [-4, 2],
      ]),
      '{3: 1, -4: 2}',
    );
    assert.equal(formatPythonDict(new Map([[7, -0]])), '{7: 0}');
  });

  it('round-trips through parsePythonDict', () => {
    const pairs: [number, number][] = [
      [0, 1],
      [-5, 9007199254740991],
      [999, -2],
    ];
    assert.deepEqual(entries(formatPythonDict(pairs)), pairs);
  });
});
