/**
 * taskwire's workloads, in the order they run: both durability tiers, then the default-only
 * ones. On PostgreSQL (`--store postgres://…`) the fsync tier and backlog do not apply and
 * are returned as `skipped`, with why; with `--servers 1,2,…`, drain-w4 and steady run once
 * per count.
 */
import type { Tier, Workload } from '../lib/types.ts';
import { backlogWorkload } from './backlog.ts';
import { clientsWorkload } from './clients.ts';
import { drainWorkload } from './drain.ts';
import { idleWorkersWorkload } from './idle-workers.ts';
import { latencyWorkload } from './latency.ts';
import { retentionWorkload } from './retention.ts';
import { steadyWorkload } from './steady.ts';
import type { BenchStore } from './store.ts';
import { submitWorkload } from './submit.ts';
import { tallyWorkload } from './tally.ts';

const TIERS: readonly Tier[] = ['default', 'fsync'];

export interface TaskwireOptions {
  store: BenchStore;
  /** Server counts for the workloads that spread over several servers (drain-w4, steady). */
  servers: readonly number[];
  /** Run latency (remote) once per server count too (`--latency-servers`, `--netem`). */
  latencyServers?: boolean;
}

export interface SkippedWorkload {
  /** What would have run (its id and measures, for `--only`); never run. */
  workload: Workload;
  why: string;
}

export interface TaskwireWorkloads {
  workloads: Workload[];
  skipped: SkippedWorkload[];
}

const DEFAULTS: TaskwireOptions = { store: { kind: 'sqlite' }, servers: [1] };

const BACKLOG_ON_PG =
  'backlog: fills the SQLite file directly (with the server’s SqliteStore) before the server starts';

const RETENTION_ON_PG =
  'retention: measures the SQLite file; on PostgreSQL the space is autovacuum’s (docs/scaling.md)';

const FSYNC_ON_PG =
  'fsync tier: on PostgreSQL `--fsync` only checks that synchronous_commit is on; every ' +
  'commit is flushed by PostgreSQL’s own setting in the default tier too';

export function taskwireWorkloads(opts: TaskwireOptions = DEFAULTS): TaskwireWorkloads {
  const { store, servers } = opts;
  const latencyCounts = opts.latencyServers ? servers : [1];
  const pg = store.kind === 'postgres';
  const tierWorkloads = (tier: Tier) => [
    submitWorkload(tier, store),
    drainWorkload(tier, 1, store),
    ...servers.map((n) => drainWorkload(tier, 4, store, n)),
    ...servers.map((n) => steadyWorkload(tier, store, n)),
    ...latencyCounts.map((n) => latencyWorkload(tier, 'remote', store, n)),
    latencyWorkload(tier, 'builtin', store),
  ];
  // What auth and TLS cost: steady and latency again with both on (default tier only).
  const secureRows = [
    steadyWorkload('default', store, 1, 'auth+tls'),
    latencyWorkload('default', 'remote', store, 1, 'auth+tls'),
  ];
  // A long-running server and worker (5,000 runs before the samples): without V8's warm-up.
  const longRows = [
    latencyWorkload('default', 'remote', store, 1, 'plain', true),
    latencyWorkload('default', 'builtin', store, 1, 'plain', true),
  ];
  const defaultOnly = [
    ...secureRows,
    ...longRows,
    clientsWorkload(store),
    idleWorkersWorkload(store),
  ];
  if (!pg) {
    return {
      workloads: [
        ...TIERS.flatMap(tierWorkloads),
        ...defaultOnly,
        backlogWorkload(),
        tallyWorkload(store),
        retentionWorkload(),
      ],
      skipped: [],
    };
  }
  return {
    workloads: [...tierWorkloads('default'), ...defaultOnly, tallyWorkload(store)],
    skipped: [
      ...tierWorkloads('fsync').map((workload) => ({ workload, why: FSYNC_ON_PG })),
      { workload: backlogWorkload(), why: BACKLOG_ON_PG },
      { workload: retentionWorkload(), why: RETENTION_ON_PG },
    ],
  };
}
