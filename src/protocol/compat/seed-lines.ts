/**
 * The line protocol of the seed project's Python client (Python 3.10). The original server
 * read a line, applied `str.strip()`, split it on the first `:` into (query type, data), each
 * stripped again, and answered with one line. Pure: parsing and answer formatting only.
 */
import type { TaskStatus } from '../../model/tasks.ts';

/** One request line of the seed protocol. */
export type SeedRequest =
  | { kind: 'submit'; type: 1 | 2 | 3; data: string }
  | { kind: 'status'; id: string }
  | { kind: 'invalid'; typeText: string; data: string };

/** Python's `str.isspace()` for one UTF-16 code unit (all such characters are in the BMP). */
function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * Python's `str.strip()`. Unlike `String#trim` it strips U+001C–U+001F and U+0085 and keeps
 * U+FEFF. Scans inward from both ends (linear; a trailing-whitespace regex can go quadratic).
 */
function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPyWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isPyWhitespace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Parses one request line (without its newline) as the original server did. */
export function parseSeedLine(line: string): SeedRequest {
  const stripped = pyStrip(line);
  const colon = stripped.indexOf(':');
  if (colon === -1) return { kind: 'invalid', typeText: stripped, data: '' };
  const typeText = pyStrip(stripped.slice(0, colon));
  const data = pyStrip(stripped.slice(colon + 1));
  switch (typeText) {
    case 'status':
      return { kind: 'status', id: data };
    case '1':
      return { kind: 'submit', type: 1, data };
    case '2':
      return { kind: 'submit', type: 2, data };
    case '3':
      return { kind: 'submit', type: 3, data };
    default:
      return { kind: 'invalid', typeText, data };
  }
}

/**
 * Makes a value safe inside a one-line answer: each `\r` and `\n` becomes a space. Applied
 * only when formatting seed answers; stored task data and results are left untouched.
 */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}

/** The answer to a status query for an id the server does not know. */
export const SEED_NO_SUCH_TASK = 'No such task';

/** The answer to a submit: `ID: task scheduled`. */
export function seedScheduled(id: string): string {
  return `${oneLine(id)}: task scheduled`;
}

/**
 * The answer to a status query for a task that is not done: `ID: enqueued`,
 * `ID: processing`, `ID: canceled`, or `ID: failed, error: MSG`.
 */
export function seedStatus(id: string, status: Exclude<TaskStatus, 'done'>, error = ''): string {
  if (status === 'failed') return `${oneLine(id)}: failed, error: ${oneLine(error)}`;
  return `${oneLine(id)}: ${status}`;
}

/** The answer to a status query for a done task: `ID: done, result: RESULT`. */
export function seedDone(id: string, result: string): string {
  return `${oneLine(id)}: done, result: ${oneLine(result)}`;
}

/** The answer to an unknown query type: `Impossible to handle: type X, data Y`. */
export function seedImpossible(typeText: string, data: string): string {
  return `Impossible to handle: type ${oneLine(typeText)}, data ${oneLine(data)}`;
}
