import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeNotice,
  encodeNotice,
  MAX_PAYLOAD_BYTES,
  sentBy,
} from '../../src/store/postgres/notifications.ts';
import { TASK_COLUMNS } from '../../src/store/rows.ts';
import { PG_ADMIN_URL, pgAvailable, withAdmin } from '../support/postgres.ts';

const available = await pgAvailable();

describe('store notifications', () => {
  it('say nothing when nothing happened', () => {
    assert.deepEqual(encodeNotice('me', { ready: false, ids: [] }), []);
  });

  it('carry the earliest due time of a task and of a schedule, in the first part only', () => {
    const [payload] = encodeNotice('me', { ready: false, ids: [], due: 1700, schedule: 1800 });
    assert.equal(payload, '{"o":"me","d":1700,"s":1800}');
    assert.deepEqual(decodeNotice(payload!), {
      origin: 'me',
      ready: false,
      ids: [],
      due: 1700,
      schedule: 1800,
    });
    const parts = encodeNotice('me', { ready: true, ids: [1, 2, 3, 4], due: 5 }, 30);
    assert.ok(parts.length > 1);
    assert.equal(decodeNotice(parts[0]!)?.due, 5);
    assert.ok(parts.slice(1).every((p) => decodeNotice(p)?.due === undefined));
  });

  it('round-trip ready and the changed ids, sorted and distinct', () => {
    const [payload, ...rest] = encodeNotice('me', { ready: true, ids: [3, 1, 3, 2] });
    assert.deepEqual(rest, []);
    assert.equal(payload, '{"o":"me","r":1,"c":[1,2,3]}');
    assert.deepEqual(decodeNotice(payload!), { origin: 'me', ready: true, ids: [1, 2, 3] });
    assert.deepEqual(decodeNotice(encodeNotice('me', { ready: true, ids: [] })[0]!), {
      origin: 'me',
      ready: true,
      ids: [],
    });
    assert.deepEqual(decodeNotice(encodeNotice('x', { ready: false, ids: [7] })[0]!), {
      origin: 'x',
      ready: false,
      ids: [7],
    });
  });

  it('split many ids into payloads under the limit, ready in the first only', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => 9_000_000_000 + i * 7);
    const payloads = encodeNotice('origin-id', { ready: true, ids });
    assert.ok(payloads.length > 1);
    for (const p of payloads) assert.ok(Buffer.byteLength(p) <= MAX_PAYLOAD_BYTES, `${p.length}`);
    const decoded = payloads.map((p) => decodeNotice(p)!);
    assert.deepEqual(
      decoded.map((d) => d.ready),
      payloads.map((_, i) => i === 0),
    );
    assert.deepEqual(
      decoded.flatMap((d) => d.ids),
      ids,
    );
    for (const max of [40, 41, 42, 57]) {
      const small = encodeNotice('o', { ready: false, ids: [1, 22, 333, 4444, 55555] }, max);
      for (const p of small) assert.ok(p.length <= max, `${p} > ${max}`);
      assert.deepEqual(
        small.flatMap((p) => decodeNotice(p)!.ids),
        [1, 22, 333, 4444, 55555],
      );
    }
  });

  it('ignore payloads that are not the store’s', () => {
    for (const p of ['', 'hello', '[]', 'null', '{"c":[1]}', '{"o":1}']) {
      assert.equal(decodeNotice(p), undefined, p);
    }
    assert.deepEqual(decodeNotice('{"o":"a","c":[1,"x",2.5,3]}'), {
      origin: 'a',
      ready: false,
      ids: [1, 3],
    });
  });

  it('carry a finished task’s row only when it has every column, the id first', () => {
    const row = [7, 'flip', '"abc"', 'done', '"cba"', null, 1, 1, 0, 1, 0, 3, null];
    const full = [...row, 5, 5, 6, 7, 7, 0, null, null];
    assert.equal(full.length, TASK_COLUMNS.length);
    assert.deepEqual(decodeNotice(JSON.stringify({ o: 'a', f: full }))?.finished, full);
    assert.equal(decodeNotice(JSON.stringify({ o: 'a', f: row }))?.finished, undefined);
    const noId = ['7', ...full.slice(1)];
    assert.equal(decodeNotice(JSON.stringify({ o: 'a', f: noId }))?.finished, undefined);
  });

  it('are told apart by sender from their first bytes, in both spellings', async (t) => {
    const [mine] = encodeNotice('me', { ready: true, ids: [1] });
    assert.equal(sentBy(mine!, 'me'), true);
    assert.equal(sentBy(mine!, 'm'), false, 'a prefix of the origin is another origin');
    assert.equal(sentBy(encodeNotice('men', { ready: true, ids: [] })[0]!, 'me'), false);
    assert.equal(sentBy('{"r":1,"o":"me"}', 'me'), false, 'not ours: decoded, not dropped');
    if ('skip' in available) return t.skip(available.skip);
    // notify-finished.sql's payload, as PostgreSQL spells it.
    const built = await withAdmin(PG_ADMIN_URL, (c) =>
      c.query<{ p: string }>(
        "SELECT json_build_object('o', 'me', 'f', json_build_array(1))::text AS p",
      ),
    );
    const payload = built.rows[0]!.p;
    assert.equal(sentBy(payload, 'me'), true, payload);
    assert.equal(sentBy(payload, 'you'), false);
  });
});
