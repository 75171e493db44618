/**
 * The tokens of the auth file, as SHA-256 hashes with their roles. `check` hashes a
 * presented token and compares it with every stored hash in constant time. `reload`
 * (SIGHUP) swaps the table and bumps `generation`; a session holding an identity from an
 * older generation looks its hash up again on its next request (a Map lookup, no hashing),
 * so a removed token stops working there and changed roles apply.
 */
import { timingSafeEqual } from 'node:crypto';
import { hashToken, readAuthFile, type TokenEntry } from './auth-file.ts';
import { maskOf, type Role, type RoleMask } from './roles.ts';

/** What a token grants: its roles. One object per token per generation. */
export interface Identity {
  /** Hex SHA-256 of the token (the key a session keeps; never the token). */
  readonly key: string;
  readonly roles: readonly Role[];
  readonly mask: RoleMask;
}

export class TokenStore {
  private entries: { hash: Buffer; identity: Identity }[] = [];
  private byKey = new Map<string, Identity>();
  /** Bumped by every reload that changed the table. */
  generation = 0;

  private constructor(readonly file: string) {}

  /** Reads the file; throws AuthFileError for a bad one (the server must not start). */
  static async load(file: string): Promise<TokenStore> {
    const store = new TokenStore(file);
    store.replace(await readAuthFile(file));
    return store;
  }

  /** A store of fixed entries (tests). */
  static of(entries: TokenEntry[], file = '(memory)'): TokenStore {
    const store = new TokenStore(file);
    store.replace(entries);
    return store;
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * Reads the file again. A bad file rejects (AuthFileError) and keeps the tokens in force.
   * Resolves with how many tokens were added and removed.
   */
  async reload(): Promise<{ tokens: number; added: number; removed: number }> {
    const next = await readAuthFile(this.file);
    const before = new Set(this.byKey.keys());
    this.replace(next);
    let added = 0;
    for (const key of this.byKey.keys()) if (!before.delete(key)) added++;
    return { tokens: this.entries.length, added, removed: before.size };
  }

  /** The identity of a presented token, or undefined. Compares every hash: constant time. */
  check(token: string): Identity | undefined {
    const hash = hashToken(token);
    let found: Identity | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.hash, hash) && found === undefined) found = e.identity;
    }
    return found;
  }

  /** The current identity for a key from an earlier generation (undefined: removed). */
  current(key: string): Identity | undefined {
    return this.byKey.get(key);
  }

  private replace(next: TokenEntry[]): void {
    const entries = next.map((e) => {
      const key = e.hash.toString('hex');
      const old = this.byKey.get(key);
      // The same object when nothing changed, so sessions holding it need no refresh.
      const same =
        old && old.roles.length === e.roles.length && e.roles.every((r) => old.roles.includes(r));
      const identity: Identity = same ? old : { key, roles: e.roles, mask: maskOf(e.roles) };
      return { hash: e.hash, identity };
    });
    this.entries = entries;
    this.byKey = new Map(entries.map((e) => [e.identity.key, e.identity]));
    this.generation++;
  }
}
