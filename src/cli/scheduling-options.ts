/**
 * The CLI's scheduling flags, checked before anything is sent: `--priority N`, `--delay 30s`,
 * `--at ISO`, `--key K` (task) and `--tz ZONE` (schedule add). A bad value is a usage error
 * (exit 2) that names the flag and the rule; the server checks the same rules again.
 */
import { InvalidArgumentError } from 'commander';
import {
  KEY_MAX_LENGTH,
  MAX_DELAY_MS,
  PRIORITY_MAX,
  PRIORITY_MIN,
  RUN_AT_TOLERANCE_MS,
} from '../model/tasks.ts';
import { parseDateTime } from '../protocol/tasks.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `--priority N`: an integer in PRIORITY_MIN..PRIORITY_MAX. */
export function priorityOption(value: string): number {
  const n = Number(value);
  if (!/^[+-]?[0-9]+$/.test(value) || n < PRIORITY_MIN || n > PRIORITY_MAX) {
    throw new InvalidArgumentError(
      `expected an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX} (higher runs first).`,
    );
  }
  return n;
}

/** A duration, `500ms`, `30s`, `5m`, `2h` or `1d`, in ms; undefined when it is not one. */
export function parseDuration(value: string): number | undefined {
  const m = /^([+-]?[0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(value.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]!]!) : undefined;
}

/** `--delay 30s`: a duration, `500ms`, `30s`, `5m`, `2h` or `1d` (ms). */
export function delayOption(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InvalidArgumentError('expected a duration such as 500ms, 30s, 5m, 2h or 1d.');
  }
  if (ms < 0) throw new InvalidArgumentError(`a delay cannot be negative (${value}).`);
  if (ms > MAX_DELAY_MS) throw new InvalidArgumentError('a delay is at most ten years.');
  return ms;
}

/** `--timeout 30s`: how long one attempt may run, a duration above zero (ms). */
export function timeoutOption(value: string): number {
  let ms: number;
  try {
    ms = delayOption(value);
  } catch {
    throw new InvalidArgumentError('expected a duration such as 500ms, 30s, 5m, 2h or 1d.');
  }
  if (ms < 1) throw new InvalidArgumentError(`a timeout must be above zero (${value}).`);
  return ms;
}

/** `--task-timeout flip=10s` (repeatable): a type's attempt timeout, added to `previous`. */
export function typeTimeoutOption(
  value: string,
  previous: Map<string, number> = new Map(),
): Map<string, number> {
  const at = value.lastIndexOf('=');
  const type = value.slice(0, at);
  if (at <= 0 || type.length > 128) {
    throw new InvalidArgumentError('expected TYPE=DURATION, e.g. flip=10s.');
  }
  return new Map([...previous, [type, timeoutOption(value.slice(at + 1))]]);
}

/**
 * `--at 2026-12-24T18:00:00Z`: an ISO 8601 date and time with a time zone, not more than
 * RUN_AT_TOLERANCE_MS in the past (a time that recent runs the task at once).
 */
export function atOption(value: string, now = Date.now()): string {
  const at = parseDateTime(value);
  if (Number.isNaN(at)) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 date and time with a time zone, e.g. 2026-12-24T18:00:00Z.',
    );
  }
  if (at < now - RUN_AT_TOLERANCE_MS) {
    throw new InvalidArgumentError(
      `${value} is in the past; at most ${RUN_AT_TOLERANCE_MS / 1000} s ago is accepted (it runs at once).`,
    );
  }
  return value;
}

/** `--key K`: 1 to KEY_MAX_LENGTH characters. */
export function keyOption(value: string): string {
  if (value.length === 0 || value.length > KEY_MAX_LENGTH) {
    throw new InvalidArgumentError(`expected 1 to ${KEY_MAX_LENGTH} characters.`);
  }
  return value;
}

/** `--tz Europe/Paris`: an IANA time zone this runtime knows. */
export function timeZoneOption(value: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new InvalidArgumentError(
      `unknown time zone '${value}': expected an IANA name such as Europe/Paris or UTC.`,
    );
  }
  return value;
}
