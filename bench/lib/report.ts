/**
 * The table a person reads: one row per measurement and durability tier, each system's
 * median with its min–max spread, and taskwire's ratio to the best peer of the same tier;
 * then what each system does per task, and the runs that failed.
 */
import type { Result, RunFailure } from './results.ts';
import type { System, Tier, Workload } from './types.ts';

const SYSTEMS: readonly System[] = [
  'taskwire',
  'beanstalkd',
  'bullmq',
  'graphile-worker',
  'pg-boss',
];
/** The peers on Redis and beanstalkd's binlog (`--peers`). */
const PEERS: readonly System[] = ['beanstalkd', 'bullmq'];
/** The peers on PostgreSQL (`--peers-pg`): taskwire's PostgreSQL rows are compared with them. */
const PG_PEERS: readonly System[] = ['graphile-worker', 'pg-boss'];
const TIERS: readonly Tier[] = ['default', 'fsync'];

/** A figure with about three significant digits and thousands separators. */
export function formatNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 100 || Number.isInteger(n)) return Math.round(n).toLocaleString('en-US');
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1 || n === 0) return n.toFixed(2);
  return n.toPrecision(2);
}

function cell(result: Result | undefined): string {
  if (!result) return '–';
  const m = formatNumber(result.median);
  if (result.runs < 2 || result.min === result.max) return m;
  return `${m} (${formatNumber(result.min)}–${formatNumber(result.max)})`;
}

/**
 * taskwire's median against the best peer's, oriented so that above 1 means taskwire is
 * better (more throughput, or less time or memory); undefined without a comparable peer.
 */
export function ratioToBestPeer(
  taskwire: Result | undefined,
  peers: readonly Result[],
): number | undefined {
  if (!taskwire || peers.length === 0) return undefined;
  const medians = peers.map((p) => p.median);
  const best = taskwire.higherIsBetter ? Math.max(...medians) : Math.min(...medians);
  const ratio = taskwire.higherIsBetter ? taskwire.median / best : best / taskwire.median;
  return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined;
}

interface Row {
  measurement: string;
  /** The tier, with `/pg` when taskwire ran on PostgreSQL. */
  tier: string;
  /** taskwire servers sharing the store ('' on a row with no taskwire figure). */
  servers: string;
  cells: Record<System, Result | undefined>;
}

/** What tells apart taskwire's results of one measurement and tier: store and server count. */
function variantKey(r: Result): string {
  return `${r.store ?? ''}|${r.servers ?? ''}`;
}

function rows(results: readonly Result[]): Row[] {
  // Measurements in the order they were first measured; each with its tiers side by side,
  // and one row per taskwire store and server count (the peers' figures on each of them).
  const order = [...new Set(results.map((r) => r.name))];
  const out: Row[] = [];
  for (const name of order) {
    for (const tier of TIERS) {
      const same = results.filter((r) => r.name === name && r.tier === tier);
      if (same.length === 0) continue;
      const ours = same.filter((r) => r.system === 'taskwire');
      const variants = ours.length > 0 ? [...new Set(ours.map(variantKey))] : [undefined];
      for (const variant of variants) {
        const taskwire = ours.find((r) => variantKey(r) === variant);
        // The PostgreSQL peers sit beside taskwire's one-server PostgreSQL row.
        const pgRow = taskwire
          ? taskwire.store === 'postgres' && (taskwire.servers ?? 1) === 1
          : true;
        const peerCell = (s: System) =>
          PG_PEERS.includes(s) && !pgRow ? undefined : same.find((r) => r.system === s);
        const cells = Object.fromEntries(
          SYSTEMS.map((s) => [s, s === 'taskwire' ? taskwire : peerCell(s)]),
        ) as Record<System, Result | undefined>;
        const store = taskwire ? taskwire.store : same[0]!.store;
        out.push({
          measurement: `${name} (${same[0]!.unit})`,
          tier: store === 'postgres' ? `${tier}/pg` : tier,
          servers: taskwire ? String(taskwire.servers ?? 1) : '',
          cells,
        });
      }
    }
  }
  return out;
}

/** Pads the first `left` columns on the right (text), the others on the left (figures). */
function alignTable(table: string[][], left: number): string[] {
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  const line = (row: string[]) =>
    row.map((text, col) => (col < left ? text.padEnd(widths[col]!) : text.padStart(widths[col]!)));
  const [header, ...body] = table;
  return [
    line(header!).join(' | '),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...body.map((row) => line(row).join(' | ')),
  ];
}

/** The whole report as text. */
export function formatReport(
  results: readonly Result[],
  workloads: readonly Workload[],
  failures: readonly RunFailure[],
): string {
  // The servers column only when taskwire ran on PostgreSQL (on SQLite it is always 1).
  const shared = results.some((r) => r.store === 'postgres' || (r.servers ?? 1) > 1);
  // taskwire's column always; a peer's only when it ran.
  const systems = SYSTEMS.filter((s) => s === 'taskwire' || results.some((r) => r.system === s));
  const table: string[][] = [
    ['measurement', 'tier', ...(shared ? ['servers'] : []), ...systems, 'ratio to best peer'],
    ...rows(results).map((row) => {
      const present = (list: readonly System[]) =>
        list.map((p) => row.cells[p]).filter((r): r is Result => r !== undefined);
      // A PostgreSQL row is compared with the PostgreSQL peers when they ran.
      const pgPeers = present(PG_PEERS);
      const ratio = ratioToBestPeer(row.cells.taskwire, pgPeers.length ? pgPeers : present(PEERS));
      return [
        row.measurement,
        row.tier,
        ...(shared ? [row.servers] : []),
        ...systems.map((s) => cell(row.cells[s])),
        ratio === undefined ? '–' : `${ratio.toFixed(2)}×`,
      ];
    }),
  ];
  const lines = table.length > 1 ? alignTable(table, shared ? 3 : 2) : ['(no results)'];
  lines.push(
    '',
    'Each cell: median of the runs (min–max). Ratio: taskwire against the best peer of the same',
    'tier; above 1× taskwire is better (more tasks/s, or less time or memory).',
  );
  if (shared) {
    lines.push(
      'Tier default/pg: taskwire on PostgreSQL (--store); servers: taskwire servers sharing its',
      'database, the workers and the producer’s connections spread over them.',
    );
  }
  if (results.some((r) => PG_PEERS.includes(r.system))) {
    lines.push(
      'graphile-worker, pg-boss (--peers-pg): on the same PostgreSQL server, a fresh database per',
      'run; the default/pg rows with one server compare taskwire with the better of them.',
    );
  }
  const measured = new Set(results.map((r) => r.workload));
  for (const system of systems) {
    const notes = [
      ...new Set(
        workloads
          .filter((w) => w.system === system && w.note && measured.has(w.id))
          .map((w) => w.note!),
      ),
    ];
    if (notes.length === 0) continue;
    lines.push('', `${system}, per task:`, ...notes.map((n) => `  - ${n}`));
  }
  if (failures.length > 0) {
    lines.push('', `Failed runs (${failures.length}), which gave no figure:`);
    for (const f of failures) lines.push(`  - ${f.workload} run ${f.run}: ${f.error}`);
  }
  return lines.join('\n');
}
