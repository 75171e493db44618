/**
 * The Store contract: every store runs this suite (see sqlite.test.ts). It uses only the
 * Store interface, and every test gets a fresh store from `make`. The tests are grouped by
 * concern in contract/.
 */
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/types.ts';
import { batchesContract } from './contract/batches.ts';
import { claimsInWriteContract } from './contract/claims-in-write.ts';
import { claimsWithSubmitsContract } from './contract/claims-with-submits.ts';
import type { ContractTest } from './contract/helpers.ts';
import { knownLeasesContract } from './contract/known-leases.ts';
import { leasesContract } from './contract/leases.ts';
import { operatorContract } from './contract/operator.ts';
import { reportsContract } from './contract/reports.ts';
import { retentionContract } from './contract/retention.ts';
import { schedulingContract } from './contract/scheduling.ts';
import { submitClaimContract } from './contract/submit-claim.ts';
import { talliesContract } from './contract/tallies.ts';
import { taskListsContract } from './contract/task-lists.ts';
import { taskTypesContract } from './contract/task-types.ts';

/** A fresh, open store and how to dispose of it. */
export interface StoreHarness {
  store: Store;
  /** Closes the store and deletes its data. */
  cleanup(): Promise<void>;
  /** Where the data lives, reported when a test fails and its data is kept. */
  where?: string;
}

/** Runs the contract suite against the stores that `make` creates (opened). */
export function storeContract(name: string, make: () => Promise<StoreHarness>): void {
  /** A test with its own store; on failure the store is closed but its data kept. */
  const test: ContractTest = (title, fn) => {
    it(title, async (t) => {
      const harness = await make();
      let passed = false;
      try {
        await fn(harness.store, t);
        passed = true;
      } finally {
        if (passed) {
          await harness.cleanup();
        } else {
          await harness.store.close();
          t.diagnostic(`store data kept for inspection: ${harness.where ?? '(unknown place)'}`);
        }
      }
    });
  };

  describe(`Store contract: ${name}`, () => {
    submitClaimContract(test);
    claimsInWriteContract(test);
    claimsWithSubmitsContract(test);
    reportsContract(test);
    knownLeasesContract(test);
    batchesContract(test);
    leasesContract(test);
    talliesContract(test);
    taskTypesContract(test);
    taskListsContract(test);
    schedulingContract(test);
    retentionContract(test);
    operatorContract(test);
  });
}
