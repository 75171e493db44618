/**
 * How complex a JSON line is, read from its bytes before it is parsed: its nesting depth and
 * how many distinct object key names it holds. `JSON.parse` of a line with a hundred thousand
 * key names costs a large part of a second and a million seconds, and data nested thousands
 * deep breaks `JSON.stringify` (the store's) with a RangeError: a line over either limit is
 * refused before it costs anything but this scan. Strings are skipped with `Buffer#indexOf` (memchr);
 * only the bytes between strings are looked at one by one.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The limits a line is held to. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays, counted from the line's outer value (depth 1). */
  maxDepth: number;
  /**
   * Distinct object key names in the whole line. What makes JSON.parse slow is new key
   * names, not keys as such (each new name is a new string to intern and a new object
   * shape): measured, 100,000 small objects that repeat one key parse in a few ms, while
   * 20,000 keys of distinct names take tens. See docs/security.md.
   */
  maxKeys: number;
}

/** What a line went over, or undefined when it is within both limits. */
export type JsonLimitProblem =
  | { limit: 'depth'; max: number }
  | { limit: 'keys'; max: number }
  | undefined;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Scans `buf` (one JSON text, as bytes) and stops at the first limit it passes. Invalid
 * JSON is not reported here (the parser does): its counts are merely approximate. Key names
 * are told apart by a 32-bit hash of their bytes (a collision counts two names as one).
 */
export function checkJsonLimits(buf: Buffer, limits: JsonLimits): JsonLimitProblem {
  const { maxDepth, maxKeys } = limits;
  const n = buf.length;
  // A line this short cannot pass either limit (a level needs a byte, a key four: `"":0`).
  if (n <= maxDepth && n < 4 * maxKeys) return undefined;
  // Only a line long enough to hold that many keys needs them counted.
  const names = n >= 4 * maxKeys ? new Set<number>() : undefined;
  let depth = 0;
  let from = 0;
  let to = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === QUOTE) {
      from = i + 1;
      i = jsonStringEnd(buf, from);
      to = i;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return { limit: 'depth', max: maxDepth };
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    } else if (b === COLON && names) {
      // Outside strings a colon only ever follows a key: the string just read.
      let h = FNV_OFFSET;
      for (let j = from; j < to; j++) h = Math.imul(h ^ buf[j]!, FNV_PRIME);
      names.add(h);
      if (names.size > maxKeys) return { limit: 'keys', max: maxKeys };
    }
  }
  return undefined;
}

/** The index of the quote that closes the JSON string whose first byte is at `from`. */
export function jsonStringEnd(buf: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0) return buf.length;
    // Escaped when an odd number of backslashes comes right before it.
    let slashes = 0;
    for (let j = q - 1; j >= from && buf[j] === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return q;
    i = q + 1;
  }
}
