/** Small statistics over the figures of several runs or many samples. */

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('no values');
  return [...values].sort((a, b) => a - b);
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function min(values: readonly number[]): number {
  return sorted(values)[0]!;
}

export function max(values: readonly number[]): number {
  return sorted(values).at(-1)!;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100): the smallest value ≥ p % of the values. */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1]!;
}
