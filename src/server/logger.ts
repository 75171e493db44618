/** The server's structured logger: pino, one JSON line per event. */
import { type Logger, pino } from 'pino';

export type { Logger };

/** A logger writing JSON lines to stdout at the given level. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'taskwire' } });
}

/** A logger that drops everything (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
