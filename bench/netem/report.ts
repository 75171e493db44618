/** The `--netem` table: each measurement and server count against each delay. */
import { formatNumber } from '../lib/report.ts';
import type { Result, RunFailure } from '../lib/results.ts';
import { type DelayVia, extraRoundTrips } from './args.ts';

/** One delay's figures: what the child bench measured, and the round trip probed before it. */
export interface DelayRun {
  delayMs: number;
  /** `SELECT 1` from the servers' namespace, median and minimum, µs. */
  rtt: { medianUs: number; minUs: number };
  results: Result[];
  /** Runs whose check failed: no figure. */
  failures: RunFailure[];
}

/** The measurements the table shows, in order. */
const SHOWN = [
  'steady',
  'steady-cpu-server',
  'steady-db-xacts',
  'steady-db-rows',
  'steady-db-wal',
  'latency-p50',
  'latency-p99',
];

function cell(r: Result | undefined): string {
  if (!r) return '–';
  const m = formatNumber(r.median);
  return r.runs < 2 || r.min === r.max ? m : `${m} (${formatNumber(r.min)}–${formatNumber(r.max)})`;
}

function pad(table: string[][]): string[] {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((t, c) => (c < 2 ? t.padEnd(widths[c]!) : t.padStart(widths[c]!))).join(' | ');
  return [
    line(table[0]!),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...table.slice(1).map(line),
  ];
}

export function formatNetemReport(runs: readonly DelayRun[], via: DelayVia): string {
  const base = runs.find((r) => r.delayMs === 0) ?? runs[0]!;
  const find = (run: DelayRun, name: string, servers: number) =>
    run.results.find((r) => r.name === name && (r.servers ?? 1) === servers);
  const servers = [...new Set(runs.flatMap((run) => run.results.map((r) => r.servers ?? 1)))].sort(
    (a, b) => a - b,
  );
  const others = runs.filter((r) => r !== base);
  const header = [
    'measurement',
    'servers',
    ...runs.map((r) => `${r.delayMs} ms`),
    ...others.map((r) => `${r.delayMs} ms ÷ ${base.delayMs} ms`),
  ];
  const table: string[][] = [header];
  for (const name of SHOWN) {
    for (const n of servers) {
      const cells = runs.map((run) => find(run, name, n));
      if (cells.every((c) => c === undefined)) continue;
      const unit = cells.find((c) => c)!.unit;
      const b = find(base, name, n);
      const ratios = others.map((run) => {
        const r = find(run, name, n);
        return r && b ? `${(r.median / b.median).toFixed(2)}×` : '–';
      });
      table.push([`${name} (${unit})`, String(n), ...cells.map(cell), ...ratios]);
    }
  }
  // The model's check: latency gained per round trip added.
  for (const n of servers) {
    const b = find(base, 'latency-p50', n);
    const gains = runs.map((run) => {
      const r = find(run, 'latency-p50', n);
      const g =
        r && b
          ? extraRoundTrips(r.median, b.median, run.rtt.medianUs, base.rtt.medianUs)
          : undefined;
      return g === undefined ? '–' : g.toFixed(2);
    });
    if (b)
      table.push([
        'latency-p50 gained ÷ round trip added',
        String(n),
        ...gains,
        ...others.map(() => ''),
      ]);
  }
  const rtts = runs
    .map(
      (r) =>
        `${r.delayMs} ms → ${formatNumber(r.rtt.medianUs)} µs (min ${formatNumber(r.rtt.minUs)})`,
    )
    .join('; ');
  return [
    `Round trip from the servers' namespace to PostgreSQL (SELECT 1, median of 50): ${rtts}.`,
    via === 'netem'
      ? 'Delay: tc netem on both ends of the veth pair, half the round trip each.'
      : 'Delay: a userspace TCP relay in the servers’ namespace (--netem-via relay; the kernel has no netem), holding each chunk to PostgreSQL for the whole delay.',
    '',
    ...pad(table),
    '',
    'Each cell: median of the runs (min–max). "gained ÷ round trip added": (latency-p50 at the',
    'delay − at the base) ÷ (the probed round trip at the delay − at the base); docs/scaling.md',
    'predicts 3 (submit, claim and completion: one commit and one round trip each). Latency with',
    'N servers: the client on the first server, the worker on the last.',
    ...failureLines(runs),
  ].join('\n');
}

function failureLines(runs: readonly DelayRun[]): string[] {
  const all = runs.flatMap((r) => r.failures.map((f) => ({ ...f, delayMs: r.delayMs })));
  if (all.length === 0) return [];
  return [
    '',
    `Failed runs (${all.length}), which gave no figure:`,
    ...all.map((f) => `  - ${f.delayMs} ms: ${f.workload} run ${f.run}: ${f.error}`),
  ];
}
