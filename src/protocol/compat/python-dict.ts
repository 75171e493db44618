/**
 * The body of the legacy tally protocol: a Python dict literal of integer keys to integer
 * values, e.g. `{11: 2}`. Parsed by a strict hand-written scanner, never evaluated.
 *
 * Accepted is a subset of what Python's `ast.literal_eval` takes, with the same meaning:
 * plain decimal integers (Python's leading-zero rule: `0` and `00` yes, `07` no) with at most
 * one `+`/`-` sign, whitespace between tokens, an optional trailing comma, and repeated keys
 * (the last value wins, the key keeps its first position, as in Python). Rejected although
 * Python takes them: `0x`/`0o`/`0b` literals, `_` digit separators, `True`/`False`,
 * comments, line continuations, and integers beyond Number.MAX_SAFE_INTEGER.
 */

/** Longest input accepted, in characters. */
export const MAX_PYTHON_DICT_CHARS = 10_000;

/** The outcome of {@link parsePythonDict}. */
export type PythonDictResult =
  | { ok: true; entries: [number, number][] }
  | { ok: false; reason: string };

/** Thrown inside the scanner only; turned into `{ ok: false }`. */
class Reject {
  constructor(readonly reason: string) {}
}

// Space, tab, LF, CR, form feed: what Python's tokenizer skips between tokens in brackets.
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** True for characters that would extend a number token: letters, digits, `_`, `.`. */
function isWordish(c: number): boolean {
  return (
    isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e
  );
}

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.peek())) this.pos++;
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw this.unexpected(`'${ch}'`);
    this.pos++;
  }

  unexpected(wanted: string): Reject {
    const found = this.atEnd ? 'end of input' : JSON.stringify(this.text[this.pos]);
    return new Reject(`expected ${wanted} at offset ${this.pos}, found ${found}`);
  }

  /** An optionally signed decimal integer; a sign may be followed by whitespace. */
  int(): number {
    let negative = false;
    const c = this.peek();
    if (c === 0x2b || c === 0x2d) {
      negative = c === 0x2d;
      this.pos++;
      this.skipSpace();
    }
    const start = this.pos;
    while (this.pos < this.text.length && isDigit(this.peek())) this.pos++;
    if (this.pos === start) throw this.unexpected('an integer');
    if (!this.atEnd && isWordish(this.peek())) {
      throw new Reject(`not a plain decimal integer at offset ${start}`);
    }
    const digits = this.text.slice(start, this.pos);
    const allZeros = /^0+$/.test(digits);
    if (allZeros) return 0;
    if (digits.charCodeAt(0) === 0x30) {
      throw new Reject(`leading zeros are not allowed in an integer at offset ${start}`);
    }
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) {
      throw new Reject(`integer at offset ${start} exceeds Number.MAX_SAFE_INTEGER`);
    }
    return negative ? -value : value;
  }
}

/** Parses a tally body such as `{3: 1, 4: 2}` into [key, value] pairs, in Python's order. */
export function parsePythonDict(text: string): PythonDictResult {
  if (text.length > MAX_PYTHON_DICT_CHARS) {
    return { ok: false, reason: `input longer than ${MAX_PYTHON_DICT_CHARS} characters` };
  }
  const s = new Scanner(text);
  const dict = new Map<number, number>();
  try {
    s.skipSpace();
    s.expect('{');
    s.skipSpace();
    if (s.peek() === 0x7d) {
      s.pos++;
    } else {
      for (;;) {
        const key = s.int();
        s.skipSpace();
        s.expect(':');
        s.skipSpace();
        dict.set(key, s.int());
        s.skipSpace();
        if (s.peek() === 0x7d) {
          s.pos++;
          break;
        }
        if (s.peek() !== 0x2c) throw s.unexpected("',' or '}'");
        s.pos++;
        s.skipSpace();
        if (s.peek() === 0x7d) {
          s.pos++;
          break;
        }
      }
    }
    s.skipSpace();
    if (!s.atEnd) throw s.unexpected('end of input');
  } catch (err) {
    if (err instanceof Reject) return { ok: false, reason: err.reason };
    throw err;
  }
  return { ok: true, entries: [...dict] };
}

/** Formats pairs the way Python's `str(dict)` does: `{11: 2, 4: 1}`, or `{}`. */
export function formatPythonDict(entries: Iterable<readonly [number, number]>): string {
  const parts: string[] = [];
  for (const [key, value] of entries) parts.push(`${key}: ${value}`);
  return `{${parts.join(', ')}}`;
}
