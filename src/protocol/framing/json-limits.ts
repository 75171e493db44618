/**
 * How complex a JSON line is, read from its bytes before it is parsed: its nesting depth and
 * how many object keys it holds. `JSON.parse` of a line with a hundred thousand distinct keys
 * costs tens of milliseconds and a million seconds, and data nested thousands deep breaks
 * `JSON.stringify` (the store's) with a RangeError: a line over either limit is refused
 * before it costs anything but this scan. Strings are skipped with `Buffer#indexOf` (memchr);
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
  /** Object keys in the whole line (every object's keys added up). */
  maxKeys: number;
}

/** What a line went over, or undefined when it is within both limits. */
export type JsonLimitProblem =
  | { limit: 'depth'; max: number }
  | { limit: 'keys'; max: number }
  | undefined;

/**
 * Scans `buf` (one JSON text, as bytes) and stops at the first limit it passes. Invalid
 * JSON is not reported here (the parser does): its counts are merely approximate.
 */
export function checkJsonLimits(buf: Buffer, limits: JsonLimits): JsonLimitProblem {
  const { maxDepth, maxKeys } = limits;
  // A line this short cannot pass either limit (a level needs a byte, a key four: `"":0`).
  if (buf.length <= maxDepth && buf.length < 4 * maxKeys) return undefined;
  let depth = 0;
  let keys = 0;
  const n = buf.length;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === QUOTE) {
      i = jsonStringEnd(buf, i + 1);
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return { limit: 'depth', max: maxDepth };
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    } else if (b === COLON) {
      // Outside strings a colon only ever separates a key from its value.
      if (++keys > maxKeys) return { limit: 'keys', max: maxKeys };
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
