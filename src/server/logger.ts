/**
 * The server's structured logger: pino, one JSON line per event, or readable lines
 * (pino-pretty, in this process) for a person at a terminal.
 */
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/** A logger writing to stdout at the given level, as JSON lines or readable ones. */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const options = { level, base: { app: 'taskwire' } };
  if (format === 'json') return pino(options);
  return pino(
    options,
    pretty({ sync: true, colorize: process.stdout.isTTY === true, ignore: 'app,pid,hostname' }),
  );
}

/** A logger that drops everything (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
