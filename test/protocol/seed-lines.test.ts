import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseSeedLine,
  SEED_NO_SUCH_TASK,
  seedDone,
  seedImpossible,
  seedScheduled,
  seedStatus,
} from '../../src/protocol/compat/seed-lines.ts';

describe('parseSeedLine', () => {
  it('parses submits of the three types', () => {
    assert.deepEqual(parseSeedLine('1:flip'), { kind: 'submit', type: 1, data: 'flip' });
    assert.deepEqual(parseSeedLine('  2 :  swap me \t'), {
      kind: 'submit',
      type: 2,
      data: 'swap me',
    });
    assert.deepEqual(parseSeedLine('3:repeat'), { kind: 'submit', type: 3, data: 'repeat' });
  });

  it('splits on the first colon only', () => {
    assert.deepEqual(parseSeedLine('1:a:b: c'), { kind: 'submit', type: 1, data: 'a:b: c' });
    assert.deepEqual(parseSeedLine('status:x:y'), { kind: 'status', id: 'x:y' });
  });

  it('keeps an empty submit as a submit', () => {
    assert.deepEqual(parseSeedLine('1:'), { kind: 'submit', type: 1, data: '' });
    assert.deepEqual(parseSeedLine('3 :   '), { kind: 'submit', type: 3, data: '' });
  });

  it('parses status queries, including an empty id', () => {
    assert.deepEqual(parseSeedLine('status: 8f3a'), { kind: 'status', id: '8f3a' });
    assert.deepEqual(parseSeedLine('status:'), { kind: 'status', id: '' });
  });

  it('marks everything else invalid, keeping the stripped parts', () => {
    assert.deepEqual(parseSeedLine('4:x'), { kind: 'invalid', typeText: '4', data: 'x' });
    assert.deepEqual(parseSeedLine('01:x'), { kind: 'invalid', typeText: '01', data: 'x' });
    assert.deepEqual(parseSeedLine('STATUS:x'), { kind: 'invalid', typeText: 'STATUS', data: 'x' });
    assert.deepEqual(parseSeedLine(' : y '), { kind: 'invalid', typeText: '', data: 'y' });
  });

  it('treats a line without a colon as invalid with empty data', () => {
    assert.deepEqual(parseSeedLine('  status  '), {
      kind: 'invalid',
      typeText: 'status',
      data: '',
    });
    assert.deepEqual(parseSeedLine('hello world'), {
      kind: 'invalid',
      typeText: 'hello world',
      data: '',
    });
    assert.deepEqual(parseSeedLine(''), { kind: 'invalid', typeText: '', data: '' });
    assert.deepEqual(parseSeedLine(' \t '), { kind: 'invalid', typeText: '', data: '' });
  });

  it("strips exactly what Python's str.strip() strips", () => {
    // U+001C..U+001F, U+0085, U+00A0, U+3000 are Python whitespace; U+FEFF and U+200B are not.
    assert.deepEqual(parseSeedLine('\x1c\x1f1\x85:\u00a0data\u3000\r'), {
      kind: 'submit',
      type: 1,
      data: 'data',
    });
    assert.deepEqual(parseSeedLine('\ufeff1:x'), {
      kind: 'invalid',
      typeText: '\ufeff1',
      data: 'x',
    });
    assert.deepEqual(parseSeedLine('1:x\u200b'), { kind: 'submit', type: 1, data: 'x\u200b' });
  });
});

describe('seed answers', () => {
  it('formats each answer exactly', () => {
    assert.equal(seedScheduled('42'), '42: task scheduled');
    assert.equal(seedStatus('42', 'enqueued'), '42: enqueued');
    assert.equal(seedStatus('42', 'processing'), '42: processing');
    assert.equal(seedStatus('42', 'canceled'), '42: canceled');
    assert.equal(seedStatus('42', 'failed', 'worker lost'), '42: failed, error: worker lost');
    assert.equal(seedStatus('42', 'failed'), '42: failed, error: ');
    assert.equal(seedDone('42', 'pilf'), '42: done, result: pilf');
    assert.equal(seedDone('42', ''), '42: done, result: ');
    assert.equal(SEED_NO_SUCH_TASK, 'No such task');
    assert.equal(seedImpossible('4', 'x y'), 'Impossible to handle: type 4, data x y');
  });

  it('keeps answers on one line by turning each \\r and \\n into a space', () => {
    assert.equal(seedDone('7', 'a\r\nb\nc'), '7: done, result: a  b c');
    assert.equal(seedStatus('7', 'failed', 'line1\nline2'), '7: failed, error: line1 line2');
    assert.equal(seedImpossible('x\ry', 'd\n'), 'Impossible to handle: type x y, data d ');
  });
});
