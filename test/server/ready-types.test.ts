/** ReadyTypes: which task types a claim should ask for. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadyTypes } from '../../src/server/scheduling/ready-types.ts';

describe('ready types', () => {
  it('leaves exhausted types out of claims until work of that type appears', () => {
    const ready = new ReadyTypes();
    ready.addWorker(['flip', 'swap']);
    ready.addWorker(['noop']);
    ready.exhaust(['flip']);
    assert.deepEqual(ready.claimable(['flip', 'swap']), ['swap']);
    assert.equal(ready.any(['flip']), false);
    assert.equal(ready.none, false);
    ready.exhaust(['swap', 'noop']);
    assert.equal(ready.none, true, 'every type a worker runs is exhausted');
    ready.appeared(['swap']);
    assert.deepEqual(ready.claimable(['flip', 'swap']), ['swap']);
    ready.appeared();
    assert.deepEqual(ready.claimable(['flip', 'swap']), ['flip', 'swap']);
  });

  it('forgets the types of workers that left', () => {
    const ready = new ReadyTypes();
    ready.addWorker(['flip']);
    ready.addWorker(['flip', 'tally']);
    ready.exhaust(['flip']);
    assert.equal(ready.none, false, 'tally may have work');
    ready.removeWorker(['flip', 'tally']);
    assert.equal(ready.none, true, 'no worker runs tally any more');
  });
});
