import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameMarker, MarkerFramer } from '../../src/protocol/framing/marker.ts';

/** A framer that records every message and every error. */
function recorder(maxBodyBytes = 1024) {
  const messages: string[] = [];
  const errors: string[] = [];
  const framer = new MarkerFramer({
    maxBodyBytes,
    onMessage: (body) => messages.push(body),
    onError: (reason) => errors.push(reason),
  });
  return { framer, messages, errors };
}

function pushBytewise(framer: MarkerFramer, bytes: Buffer): void {
  for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1));
}

/** Runs `check` once for every way of cutting `bytes` into two chunks. */
function everySplit(bytes: Buffer, check: (a: Buffer, b: Buffer) => void): void {
  for (let i = 0; i <= bytes.length; i++) check(bytes.subarray(0, i), bytes.subarray(i));
}

const frame = (body: string) => `crrrazy_msg_START${body}crrrazy_msg_END`;

const ONE = Buffer.from(frame('{11: 2}'));
// Bodies that hold marker look-alikes: a full START, END prefixes, an emoji, an empty body.
const BODIES = [
  '{}',
  'a crrrazy_msg_START b',
  'crrrazy_msg_EN',
  'x crrrazy_msg_crrrazy_msg_E',
  '',
  'tally 😀 é',
  'crrrazy_msg_ENDX'.slice(0, 14),
];
const MANY = Buffer.from(BODIES.map(frame).join(''));

describe('MarkerFramer', () => {
  it('frames one message fed byte by byte', () => {
    const r = recorder();
    pushBytewise(r.framer, ONE);
    assert.deepEqual(r.messages, ['{11: 2}']);
    assert.deepEqual(r.errors, []);
  });

  it('frames one message split at every point', () => {
    everySplit(ONE, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.messages, ['{11: 2}'], `split at ${a.length}`);
      assert.deepEqual(r.errors, []);
    });
  });

  it('frames several messages in one push', () => {
    const r = recorder();
    r.framer.push(MANY);
    assert.deepEqual(r.messages, BODIES);
    assert.deepEqual(r.errors, []);
  });

  it('frames several messages split at every point, and byte by byte', () => {
    everySplit(MANY, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.messages, BODIES, `split at ${a.length}`);
      assert.deepEqual(r.errors, []);
    });
    const r = recorder();
    pushBytewise(r.framer, MANY);
    assert.deepEqual(r.messages, BODIES);
  });

  it('finds an END marker spread over many small chunks of a long body', () => {
    const body = 'y'.repeat(100);
    const bytes = Buffer.from(frame(body) + frame('z'));
    for (const size of [2, 3, 7, 14, 15, 16]) {
      const r = recorder();
      for (let i = 0; i < bytes.length; i += size) r.framer.push(bytes.subarray(i, i + size));
      assert.deepEqual(r.messages, [body, 'z'], `chunks of ${size}`);
    }
  });

  it('keeps an emoji split across chunks intact', () => {
    const bytes = Buffer.from(frame('😀'));
    everySplit(bytes, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.messages, ['😀']);
    });
  });

  it('rejects bytes that do not begin a START marker, once', () => {
    for (const text of ['x', 'Xcrrrazy_msg_START{}crrrazy_msg_END', 'crrrazy_msg_STARX', '\n']) {
      const r = recorder();
      r.framer.push(Buffer.from(text));
      r.framer.push(ONE);
      assert.deepEqual(r.messages, []);
      assert.deepEqual(r.errors, ['expected crrrazy_msg_START']);
    }
  });

  it('rejects a newline or garbage between messages, after the first message', () => {
    const bytes = Buffer.from(`${frame('a')}\r\n${frame('b')}`);
    everySplit(bytes, (a, b) => {
      const r = recorder();
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.messages, ['a']);
      assert.deepEqual(r.errors, ['expected crrrazy_msg_START']);
    });
  });

  it('waits on a partial START marker without error', () => {
    const r = recorder();
    r.framer.push(Buffer.from('crrrazy_ms'));
    r.framer.push(Buffer.from('g_STA'));
    assert.deepEqual(r.errors, []);
    r.framer.push(Buffer.from('RTokcrrrazy_msg_END'));
    assert.deepEqual(r.messages, ['ok']);
  });

  it('accepts a body of exactly maxBodyBytes in any split', () => {
    const bytes = Buffer.from(frame('abcde') + frame('vwxyz'));
    everySplit(bytes, (a, b) => {
      const r = recorder(5);
      r.framer.push(a);
      r.framer.push(b);
      assert.deepEqual(r.messages, ['abcde', 'vwxyz']);
      assert.deepEqual(r.errors, []);
    });
  });

  it('rejects a body of maxBodyBytes + 1 once, and emits nothing after', () => {
    const bytes = Buffer.from(frame('ok') + frame('abcdef') + frame('later'));
    const want = ['message body exceeds the limit of 5 bytes'];
    everySplit(bytes, (a, b) => {
      const r = recorder(5);
      r.framer.push(a);
      r.framer.push(b);
      r.framer.push(Buffer.from(frame('more')));
      assert.deepEqual(r.messages, ['ok'], `split at ${a.length}`);
      assert.deepEqual(r.errors, want);
    });
    const r = recorder(5);
    pushBytewise(r.framer, bytes);
    assert.deepEqual(r.messages, ['ok']);
    assert.deepEqual(r.errors, want);
  });

  it('rejects an endless body without holding more than the cap', () => {
    const r = recorder(100);
    r.framer.push(Buffer.from('crrrazy_msg_START'));
    r.framer.push(Buffer.alloc(114, 'a'));
    assert.deepEqual(r.errors, []);
    r.framer.push(Buffer.from('a'));
    assert.deepEqual(r.errors, ['message body exceeds the limit of 100 bytes']);
  });

  it('rejects a body that is not valid UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('crrrazy_msg_START'),
      Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d]),
      Buffer.from('crrrazy_msg_END'),
      Buffer.from(frame('after')),
    ]);
    const r = recorder();
    r.framer.push(bytes);
    assert.deepEqual(r.messages, []);
    assert.deepEqual(r.errors, ['message body is not valid UTF-8']);
  });

  it('resumes after a throwing onMessage with the rest of the input', () => {
    const messages: string[] = [];
    const framer = new MarkerFramer({
      maxBodyBytes: 100,
      onMessage: (body) => {
        messages.push(body);
        if (body === 'b') throw new Error('boom');
      },
      onError: () => assert.fail('no error'),
    });
    assert.throws(() => framer.push(Buffer.from(frame('a') + frame('b') + frame('c'))), /boom/);
    assert.deepEqual(messages, ['a', 'b']);
    framer.push(Buffer.from(frame('d')));
    assert.deepEqual(messages, ['a', 'b', 'c', 'd']);
  });

  it('queues a push made from inside onMessage after the current chunk', () => {
    const messages: string[] = [];
    const framer: MarkerFramer = new MarkerFramer({
      maxBodyBytes: 100,
      onMessage: (body) => {
        messages.push(body);
        if (body === 'a') framer.push(Buffer.from(frame('x')));
      },
      onError: () => assert.fail('no error'),
    });
    framer.push(Buffer.from(frame('a') + frame('b')));
    assert.deepEqual(messages, ['a', 'b', 'x']);
  });
});

describe('frameMarker', () => {
  it('frames a body between the markers as UTF-8', () => {
    assert.deepEqual(
      frameMarker('{11: 2}'),
      Buffer.from('crrrazy_msg_START{11: 2}crrrazy_msg_END'),
    );
    assert.deepEqual(
      frameMarker('é'),
      Buffer.from([
        ...Buffer.from('crrrazy_msg_START'),
        0xc3,
        0xa9,
        ...Buffer.from('crrrazy_msg_END'),
      ]),
    );
  });

  it('round-trips through MarkerFramer', () => {
    const r = recorder();
    r.framer.push(Buffer.concat(BODIES.map(frameMarker)));
    assert.deepEqual(r.messages, BODIES);
  });

  it('refuses a body that contains the END marker', () => {
    assert.throws(() => frameMarker('a crrrazy_msg_END b'), RangeError);
  });
});
