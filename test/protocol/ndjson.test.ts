import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUtf8, encodeLine, LineFramer } from '../../src/protocol/framing/ndjson.ts';

/** A framer that records every line (decoded strictly) and every overflow. */
function recorder(maxLineBytes = 1024) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const framer = new LineFramer({
    maxLineBytes,
    onLine: (line) => lines.push(decodeUtf8(line) ?? `<invalid ${line.toString('hex')}>`),
    onOverflow: (n) => overflows.push(n),
  });
  return { framer, lines, overflows };
}

function pushBytewise(framer: LineFramer, bytes: Buffer): void {
  for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1));
}

/** Runs `check` once for every way of cutting `bytes` into two chunks. */
function everySplit(bytes: Buffer, check: (a: Buffer, b: Buffer) => void): void {
  for (let i = 0; i <= bytes.length; i++) check(bytes.subarray(0, i), bytes.subarray(i));
}

const ONE = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
const ONE_LINE = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
// CRLF, an empty line, a CR-only line, emoji (4-byte UTF-8), a line without its newline yet.
const MANY = Buffer.from('{"a":1}\r\n\n{"e":"😀é"}\n\r\n[2]\nplain text\r\n{"tail"');
const MANY_LINES = ['{"a":1}', '{"e":"😀é"}', '[2]', 'plain text'];

describe('LineFramer', () => {
  it('frames one message fed byte by byte', () => {
    const r = recorder();
    pushBytewise(r.framer, ONE);
    assert.deepEqual(r.lines, [ONE_LINE]);
    assert.equal(r.framer.pendingBytes, 0);
  });

  it('frames one message split at every point', () => {
    everySplit(ONE, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.lines, [ONE_LINE], `split at ${a.length}`);
      assert.deepEqual(r.overflows, []);
    });
  });

  it('frames several messages in one push', () => {
    const r = recorder();
    r.framer.push(MANY);
    assert.deepEqual(r.lines, MANY_LINES);
    assert.equal(r.framer.pendingBytes, Buffer.byteLength('{"tail"'));
    r.framer.push(Buffer.from('}\n'));
    assert.deepEqual(r.lines, [...MANY_LINES, '{"tail"}']);
    assert.equal(r.framer.pendingBytes, 0);
  });

  it('frames several messages split at every point, and byte by byte', () => {
    everySplit(MANY, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      r.framer.push(Buffer.from('\n'));
      assert.deepEqual(r.lines, [...MANY_LINES, '{"tail"'], `split at ${a.length}`);
    });
    const r = recorder();
    pushBytewise(r.framer, MANY);
    assert.deepEqual(r.lines, MANY_LINES);
    assert.equal(r.framer.pendingBytes, 7);
  });

  it('frames across three chunks and more', () => {
    const bytes = Buffer.from('abc\ndefghij\nk\n');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const r = recorder();
        r.framer.push(bytes.subarray(0, i));
        r.framer.push(bytes.subarray(i, j));
        r.framer.push(bytes.subarray(j));
        assert.deepEqual(r.lines, ['abc', 'defghij', 'k'], `cuts at ${i}, ${j}`);
      }
    }
  });

  it('keeps an emoji split across chunks intact', () => {
    const bytes = Buffer.from('😀\n');
    everySplit(bytes, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.lines, ['😀']);
    });
  });

  it('strips one trailing \\r only and skips empty lines', () => {
    const r = recorder();
    r.framer.push(Buffer.from('a\r\r\n\r\n\n\nb\rc\n'));
    assert.deepEqual(r.lines, ['a\r', 'b\rc']);
  });

  it('accepts a line of exactly maxLineBytes, with \\n or \\r\\n, in any split', () => {
    for (const text of ['abcde\n', 'abcde\r\n', 'abcde\nvwxyz\r\n']) {
      const bytes = Buffer.from(text);
      everySplit(bytes, (a, b) => {
        const r = recorder(5);
        r.framer.push(a);
        r.framer.push(b);
        assert.deepEqual(r.lines, text.startsWith('abcde\nv') ? ['abcde', 'vwxyz'] : ['abcde']);
        assert.deepEqual(r.overflows, []);
      });
      const r = recorder(5);
      pushBytewise(r.framer, bytes);
      assert.deepEqual(r.overflows, []);
    }
  });

  it('rejects a complete line of maxLineBytes + 1 once, and emits nothing after', () => {
    const r = recorder(5);
    r.framer.push(Buffer.from('ok\nabcdef\nlater\n'));
    assert.deepEqual(r.lines, ['ok']);
    assert.deepEqual(r.overflows, [6]);
    r.framer.push(Buffer.from('more\n'));
    r.framer.push(Buffer.from('abcdefghij\n'));
    assert.deepEqual(r.lines, ['ok']);
    assert.deepEqual(r.overflows, [6]);
    assert.equal(r.framer.pendingBytes, 0);
  });

  it('rejects maxLineBytes + 1 bytes before the newline arrives', () => {
    const r = recorder(5);
    r.framer.push(Buffer.from('abc'));
    assert.deepEqual(r.overflows, []);
    r.framer.push(Buffer.from('def'));
    assert.deepEqual(r.overflows, [6]);
    r.framer.push(Buffer.from('\nok\n'));
    assert.deepEqual(r.lines, []);
    assert.deepEqual(r.overflows, [6]);
  });

  it('rejects limit + 1 in every split and byte by byte, exactly once', () => {
    // Byte by byte, `abcde\r` may still be a 5-byte line, so the overflow comes at byte 7.
    const cases: [string, number][] = [
      ['abcdef\nok\n', 6],
      ['abcdef\r\nok\n', 6],
      ['abcde\rx\nok\n', 7],
    ];
    for (const [text, seenBytes] of cases) {
      const bytes = Buffer.from(text);
      everySplit(bytes, (a, b) => {
        const r = recorder(5);
        r.framer.push(a);
        r.framer.push(b);
        assert.deepEqual(r.lines, [], `${JSON.stringify(text)} split at ${a.length}`);
        assert.equal(r.overflows.length, 1);
      });
      const r = recorder(5);
      pushBytewise(r.framer, bytes);
      assert.deepEqual(r.lines, []);
      assert.deepEqual(r.overflows, [seenBytes]);
    }
  });

  it('reports a CR-terminated line still waiting for its \\n as pending', () => {
    const r = recorder(5);
    r.framer.push(Buffer.from('abcde\r'));
    assert.deepEqual(r.overflows, []);
    assert.equal(r.framer.pendingBytes, 6);
    r.framer.push(Buffer.from('\r'));
    assert.deepEqual(r.overflows, [7]);
  });

  it('counts pending bytes of an unfinished line', () => {
    const r = recorder();
    assert.equal(r.framer.pendingBytes, 0);
    r.framer.push(Buffer.from('ab'));
    r.framer.push(Buffer.from('c'));
    assert.equal(r.framer.pendingBytes, 3);
    r.framer.push(Buffer.from('\nde'));
    assert.deepEqual(r.lines, ['abc']);
    assert.equal(r.framer.pendingBytes, 2);
    r.framer.push(Buffer.alloc(0));
    assert.equal(r.framer.pendingBytes, 2);
  });

  it('emits lines that stay valid when kept as views and the chunk is reused', () => {
    const seen: Buffer[] = [];
    const framer = new LineFramer({
      maxLineBytes: 100,
      onLine: (line) => seen.push(Buffer.from(line)),
      onOverflow: () => assert.fail('no overflow'),
    });
    const chunk = Buffer.from('one\ntwo\n');
    framer.push(chunk);
    chunk.fill(0);
    assert.deepEqual(
      seen.map((b) => b.toString()),
      ['one', 'two'],
    );
  });

  it('resumes after a throwing onLine with the rest of the input, in order', () => {
    const lines: string[] = [];
    const framer = new LineFramer({
      maxLineBytes: 100,
      onLine: (line) => {
        const text = line.toString();
        lines.push(text);
        if (text === 'b') throw new Error('boom');
      },
      onOverflow: () => assert.fail('no overflow'),
    });
    assert.throws(() => framer.push(Buffer.from('a\nb\nc\nd')), /boom/);
    assert.deepEqual(lines, ['a', 'b']);
    assert.equal(framer.pendingBytes, 3);
    framer.push(Buffer.from('\ne\n'));
    assert.deepEqual(lines, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(framer.pendingBytes, 0);
  });

  it('resumes after a throw on a line completed from held bytes', () => {
    const lines: string[] = [];
    let fail = true;
    const framer = new LineFramer({
      maxLineBytes: 100,
      onLine: (line) => {
        lines.push(line.toString());
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
      },
      onOverflow: () => assert.fail('no overflow'),
    });
    framer.push(Buffer.from('ab'));
    assert.throws(() => framer.push(Buffer.from('c\nd\n')), /boom/);
    framer.push(Buffer.alloc(0));
    assert.deepEqual(lines, ['abc', 'd']);
  });

  it('queues a push made from inside onLine after the current chunk', () => {
    const lines: string[] = [];
    const framer: LineFramer = new LineFramer({
      maxLineBytes: 100,
      onLine: (line) => {
        const text = line.toString();
        lines.push(text);
        if (text === 'a') framer.push(Buffer.from('x\ny'));
      },
      onOverflow: () => assert.fail('no overflow'),
    });
    framer.push(Buffer.from('a\nb\nc'));
    assert.deepEqual(lines, ['a', 'b', 'cx']);
    assert.equal(framer.pendingBytes, 1);
    framer.push(Buffer.from('\n'));
    assert.deepEqual(lines, ['a', 'b', 'cx', 'y']);
  });

  it('rejects a bad maxLineBytes', () => {
    const cb = () => {};
    assert.throws(
      () => new LineFramer({ maxLineBytes: 0, onLine: cb, onOverflow: cb }),
      RangeError,
    );
    assert.throws(
      () => new LineFramer({ maxLineBytes: 1.5, onLine: cb, onOverflow: cb }),
      RangeError,
    );
  });
});

describe('encodeLine', () => {
  it('encodes JSON and a newline, escaping newlines inside strings', () => {
    assert.equal(encodeLine({ a: 1, s: 'x\ny\u2028' }), '{"a":1,"s":"x\\ny\u2028"}\n');
    assert.equal(encodeLine([1, 'é']), '[1,"é"]\n');
    assert.equal(encodeLine(null), 'null\n');
  });

  it('refuses values JSON cannot encode', () => {
    assert.throws(() => encodeLine(undefined), TypeError);
    assert.throws(() => encodeLine(() => 1), TypeError);
  });
});

describe('decodeUtf8', () => {
  it('decodes ASCII and multi-byte text', () => {
    assert.equal(decodeUtf8(Buffer.from('hello')), 'hello');
    assert.equal(decodeUtf8(Buffer.alloc(0)), '');
    assert.equal(decodeUtf8(Buffer.from('é€😀')), 'é€😀');
  });

  it('decodes long text on both the ASCII and the general path', () => {
    const ascii = 'a'.repeat(5000);
    assert.equal(decodeUtf8(Buffer.from(ascii)), ascii);
    assert.equal(decodeUtf8(Buffer.from(`${ascii}é`)), `${ascii}é`);
    assert.equal(decodeUtf8(Buffer.concat([Buffer.from(ascii), Buffer.from([0xff])])), undefined);
  });

  it('keeps a leading byte order mark', () => {
    assert.equal(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x41])), '\ufeffA');
  });

  it('returns undefined for invalid UTF-8', () => {
    const bad = [
      [0xff],
      [0x41, 0x80], // lone continuation byte
      [0xc0, 0xaf], // overlong '/'
      [0xe2, 0x82], // truncated '€'
      [0xf0, 0x9f, 0x98], // truncated emoji
      [0xed, 0xa0, 0x80], // UTF-16 surrogate D800
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    ];
    for (const bytes of bad) assert.equal(decodeUtf8(Buffer.from(bytes)), undefined, `${bytes}`);
  });

  it('rejects an emoji cut in half by a line split', () => {
    const bytes = Buffer.from('😀');
    for (let i = 1; i < bytes.length; i++) {
      assert.equal(decodeUtf8(bytes.subarray(0, i)), undefined);
      assert.equal(decodeUtf8(bytes.subarray(i)), undefined);
    }
  });

  it('decodes again after a failure (the shared decoder is not left dirty)', () => {
    assert.equal(decodeUtf8(Buffer.from([0xe2, 0x82])), undefined);
    assert.equal(decodeUtf8(Buffer.from('€')), '€');
  });
});

/** A framer that records its lines and pauses itself after each line `pauseAfter` accepts. */
function pausing(pauseAfter: (line: string) => boolean) {
  const lines: string[] = [];
  const framer = new LineFramer({
    maxLineBytes: 1024,
    onLine: (line) => {
      lines.push(line.toString());
      if (pauseAfter(line.toString())) framer.pause();
    },
    onOverflow: () => assert.fail('no overflow'),
  });
  return { framer, lines };
}

describe('LineFramer pause and resume', () => {
  it('delivers no line after the one that paused, and the rest in order on resume', () => {
    const { framer, lines } = pausing((line) => line === 'b');
    framer.push(Buffer.from('a\nb\nc\nd'));
    framer.push(Buffer.from('\ne\n'));
    assert.deepEqual(lines, ['a', 'b']);
    assert.equal(framer.pendingBytes, 6, 'c, d and e are held, not lost');
    framer.resume();
    assert.deepEqual(lines, ['a', 'b', 'c', 'd', 'e']);
    framer.push(Buffer.from('f\n'));
    assert.deepEqual(lines.at(-1), 'f');
  });

  it('keeps a line cut across chunks whole across a pause, at every split', () =>
    everySplit(MANY, (a, b) => {
      const { framer, lines } = recorder();
      framer.pause();
      framer.push(a);
      framer.push(b);
      assert.deepEqual(lines, []);
      framer.resume();
      assert.deepEqual(lines, MANY_LINES);
    }));

  it('may be paused again while resuming', () => {
    const { framer, lines } = pausing(() => true);
    framer.push(Buffer.from('1\n2\n3\n'));
    for (const expected of [['1'], ['1', '2'], ['1', '2', '3']]) {
      assert.deepEqual(lines, expected);
      framer.resume();
    }
    assert.equal(framer.pendingBytes, 0);
  });
});
