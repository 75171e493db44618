/**
 * The auth file (`--auth-file`): one token per line followed by the roles it grants,
 * `TOKEN ROLE[,ROLE…]`; `#` starts a comment (at the start of a line or after a blank),
 * blank lines are skipped. A bad line is an AuthFileError naming the file, the line and what
 * is wrong. Only the SHA-256 of each token is kept.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isRole, ROLES, type Role } from './roles.ts';

/** Tokens shorter than this are refused: a guessable token is no protection. */
export const MIN_TOKEN_LENGTH = 16;
/** Longer tokens are refused too (nobody needs one; it bounds what a check hashes). */
export const MAX_TOKEN_LENGTH = 1024;

export interface TokenEntry {
  /** SHA-256 of the token. */
  hash: Buffer;
  roles: Role[];
  /** Where it was read (1-based). */
  line: number;
}

export class AuthFileError extends Error {
  override readonly name = 'AuthFileError';
}

/** SHA-256 of a token. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function stripComment(line: string): string {
  const m = /(^|\s)#/.exec(line);
  return (m ? line.slice(0, m.index) : line).trim();
}

/** Parses the text of an auth file; throws AuthFileError at the first bad line. */
export function parseAuthFile(text: string, file: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const fail = (what: string): never => {
      throw new AuthFileError(`${file}:${n}: ${what}`);
    };
    const content = stripComment(lines[i]!);
    if (content === '') continue;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(content)!;
    const token = m[1]!;
    const rest = (m[2] ?? '').trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      fail(`token too short (${token.length} characters; at least ${MIN_TOKEN_LENGTH})`);
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      fail(`token too long (${token.length} characters; at most ${MAX_TOKEN_LENGTH})`);
    }
    if (rest === '') fail(`no roles after the token (expected TOKEN ${ROLES.join('|')}[,...])`);
    const roles: Role[] = [];
    for (const name of rest.split(',').map((r) => r.trim())) {
      if (name === '') fail('an empty role in the list (expected ROLE[,ROLE...])');
      if (!isRole(name)) fail(`unknown role "${name}" (roles: ${ROLES.join(', ')})`);
      if (!roles.includes(name as Role)) roles.push(name as Role);
    }
    const hash = hashToken(token);
    const key = hash.toString('hex');
    const first = seen.get(key);
    if (first !== undefined) fail(`the same token as line ${first}`);
    seen.set(key, n);
    entries.push({ hash, roles, line: n });
  }
  if (entries.length === 0) {
    throw new AuthFileError(`${file}: no tokens in the file (every connection would be refused)`);
  }
  return entries;
}

/** Reads and parses an auth file; throws AuthFileError (unreadable file included). */
export async function readAuthFile(file: string): Promise<TokenEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new AuthFileError(`${file}: cannot read the auth file (${code})`);
  }
  return parseAuthFile(text, file);
}
