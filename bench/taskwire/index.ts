/** taskwire's workloads, in the order they run: both durability tiers, then the default-only ones. */
import type { Tier, Workload } from '../lib/types.ts';
import { backlogWorkload } from './backlog.ts';
import { clientsWorkload } from './clients.ts';
import { drainWorkload } from './drain.ts';
import { idleWorkersWorkload } from './idle-workers.ts';
import { latencyWorkload } from './latency.ts';
import { steadyWorkload } from './steady.ts';
import { submitWorkload } from './submit.ts';
import { tallyWorkload } from './tally.ts';

const TIERS: readonly Tier[] = ['default', 'fsync'];

export function taskwireWorkloads(): Workload[] {
  return [
    ...TIERS.flatMap((tier) => [
      submitWorkload(tier),
      drainWorkload(tier, 1),
      drainWorkload(tier, 4),
      steadyWorkload(tier),
      latencyWorkload(tier, 'remote'),
      latencyWorkload(tier, 'builtin'),
    ]),
    clientsWorkload(),
    idleWorkersWorkload(),
    backlogWorkload(),
    tallyWorkload(),
  ];
}
