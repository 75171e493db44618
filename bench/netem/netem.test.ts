/** `node --import tsx --test bench/netem/netem.test.ts bench/lib/db-work-math.test.ts` */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extraRoundTrips, netemArgs, parseDelays, parseVia } from './args.ts';

test('parseDelays takes ms lists, drops repeats, refuses the rest', () => {
  assert.deepEqual(parseDelays('0,1,5'), [0, 1, 5]);
  assert.deepEqual(parseDelays('1ms, 0.5 ,1'), [1, 0.5]);
  for (const bad of ['', 'x', '-1', '1,,a', '2000', '1e3', '0x5']) {
    assert.throws(() => parseDelays(bad), /round-trip delays/, bad);
  }
});

test('parseVia', () => {
  assert.equal(parseVia('relay'), 'relay');
  assert.throws(() => parseVia('tc'));
});

test('netemArgs puts half the round trip on each end', () => {
  assert.deepEqual(netemArgs('twb-app0', 5).slice(0, 8), [
    'qdisc',
    'replace',
    'dev',
    'twb-app0',
    'root',
    'netem',
    'delay',
    '2.5ms',
  ]);
});

test('extraRoundTrips: latency gained per round trip added', () => {
  assert.equal(extraRoundTrips(5600, 2600, 1100, 100), 3);
  assert.equal(extraRoundTrips(5600, 2600, 100, 100), undefined);
});
