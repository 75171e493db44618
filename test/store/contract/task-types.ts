/** The Store contract, part: the task types a store accepts, kept across restarts. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractTest, T0 } from './helpers.ts';

export function taskTypesContract(test: ContractTest): void {
  describe('task types', () => {
    test('a new store knows no types', async (store) => {
      assert.deepEqual(await store.taskTypes(), []);
    });

    test('declared types are listed by name, each once, however often declared', async (store) => {
      await store.declareTypes(['resize', 'upper'], T0);
      await store.declareTypes(['upper', 'alpha'], T0 + 1);
      await store.declareTypes([], T0 + 2);
      assert.deepEqual(await store.taskTypes(), ['alpha', 'resize', 'upper']);
    });
  });
}
