/** `--netem DELAYS` and the arithmetic of its report, kept free of I/O (netem.test.ts). */

/** The largest round-trip delay `--netem` takes, ms. */
export const MAX_DELAY_MS = 1000;

/**
 * Parses `0,1,5` (ms of round-trip delay between the servers and PostgreSQL) into distinct
 * delays in the order given; fractions (0.5) allowed. Throws a message for the user.
 */
export function parseDelays(value: string): number[] {
  const parts = value
    .split(',')
    .map((s) => s.trim().replace(/ms$/i, ''))
    .filter(Boolean);
  const delays = parts.map(Number);
  if (
    delays.length === 0 ||
    delays.some((d, i) => !/^\d+(\.\d+)?$/.test(parts[i]!) || !(d >= 0 && d <= MAX_DELAY_MS))
  ) {
    throw new Error(`expected round-trip delays in ms from 0 to ${MAX_DELAY_MS}, e.g. 0,1,5`);
  }
  return [...new Set(delays)];
}

/** How the delay is made: the kernel's netem qdisc on the veth pair, or a userspace relay. */
export type DelayVia = 'netem' | 'relay';

export function parseVia(value: string): DelayVia {
  if (value === 'netem' || value === 'relay') return value;
  throw new Error('expected netem or relay');
}

/** `tc` arguments for one end of the pair: half the round trip on each end's egress. */
export function netemArgs(dev: string, rttMs: number): string[] {
  const oneWay = rttMs / 2;
  return [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'netem',
    'delay',
    `${oneWay}ms`,
    'limit',
    '100000',
  ];
}

/**
 * Round trips a task's latency gained per round trip of delay added: (p50 at the delay −
 * p50 at the base) / (measured round trip at the delay − at the base). docs/scaling.md
 * predicts 3 (submit, claim, completion each one commit, one round trip).
 */
export function extraRoundTrips(
  p50Us: number,
  baseP50Us: number,
  rttUs: number,
  baseRttUs: number,
): number | undefined {
  const added = rttUs - baseRttUs;
  if (!(added > 0)) return undefined;
  return (p50Us - baseP50Us) / added;
}
