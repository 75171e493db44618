/**
 * The benchmark's peers: the same workloads 1–4 run against beanstalkd (binlog) and BullMQ on
 * Redis (AOF), each at two durability tiers:
 *   default: beanstalkd `-b DIR` (fsync at most every 50 ms) / Redis `appendfsync everysec`
 *   fsync:   beanstalkd `-b DIR -f 0` (every write) / Redis `appendfsync always`
 * BullMQ lives in bench/node_modules (`npm install --prefix bench`), never in the product's.
 */
import type { Tier, Workload } from '../lib/types.ts';
import { beanstalkd } from './beanstalkd.ts';
import { bullmq } from './bullmq.ts';
import { bullmqInstalled } from './bullmq-api.ts';
import { peerSystemWorkloads } from './run.ts';
import { findBinary } from './servers.ts';

const TIERS: Tier[] = ['default', 'fsync'];

/** Ids like `beanstalkd/default/steady`: submit, drain, steady, latency per system and tier. */
export function peerWorkloads(opts: { quick: boolean }): Workload[] {
  return [beanstalkd, bullmq].flatMap((peer) =>
    TIERS.flatMap((tier) => peerSystemWorkloads(peer, tier, opts.quick)),
  );
}

/** One line per missing piece, telling what to install; empty when the peers can run. */
export function missingPeers(): string[] {
  const missing: string[] = [];
  if (!findBinary('beanstalkd')) missing.push('beanstalkd not found: apt-get install beanstalkd');
  if (!findBinary('redis-server')) {
    missing.push('redis-server not found: apt-get install redis-server');
  }
  if (!bullmqInstalled()) missing.push('BullMQ not installed: npm install --prefix bench');
  return missing;
}
