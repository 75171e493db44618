/** A pino logger whose JSON lines a test can read. */
import { Writable } from 'node:stream';
import { pino } from 'pino';

/** A pino logger at `level` whose JSON lines land in `lines`. */
export function capturingLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
