/**
 * `--peers-pg`: the PostgreSQL rows' workloads (submit, drain-w4, steady, latency) against
 * graphile-worker and pg-boss on the `--store` PostgreSQL server, each run in a fresh
 * database. Both live in bench/node_modules (`npm install --prefix bench`).
 */
import type { Workload } from '../../lib/types.ts';
import { peerSystemWorkloads } from '../run.ts';
import { missingPgPackages } from './api.ts';
import { graphileWorker } from './graphile.ts';
import { pgBoss } from './pgboss.ts';

/** Ids like `pg-boss/default/steady@pg`. */
export function pgPeerWorkloads(opts: { quick: boolean; adminUrl: string }): Workload[] {
  return [graphileWorker(opts.adminUrl), pgBoss(opts.adminUrl)].flatMap((peer) =>
    peerSystemWorkloads(peer, 'default', opts.quick),
  );
}

/** One line per missing piece, telling what to install; empty when both can run. */
export function missingPgPeers(): string[] {
  return missingPgPackages();
}
