/** Auth files for tests: tokens of each role, written where a server can read them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKENS = {
  client: 'client-token-aaaaaaaaaaaaaaaa',
  worker: 'worker-token-bbbbbbbbbbbbbbbb',
  both: 'both-token-cccccccccccccccccc',
  admin: 'admin-token-dddddddddddddddd',
} as const;

/** The lines of an auth file granting TOKENS their roles. */
export const AUTH_LINES = [
  '# taskwire tokens: TOKEN ROLE[,ROLE...]',
  `${TOKENS.client} client`,
  `${TOKENS.worker} worker`,
  '',
  `${TOKENS.both} client,worker  # a worker that also submits`,
  `${TOKENS.admin} admin`,
];

/** Writes an auth file into `dir` (default: TOKENS) and returns its path. */
export function writeAuthFile(dir: string, lines: readonly string[] = AUTH_LINES): string {
  const file = join(dir, 'tokens.auth');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}
