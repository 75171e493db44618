/** A stand-in AuthChecker for tests: a fixed table of tokens and their roles. */
import type { AuthChecker } from '../../src/server/http/auth.ts';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const CLIENT_TOKEN = 'client-token-0123456789abcdef';

export function stubChecker(
  tokens: Record<string, string[]> = { [ADMIN_TOKEN]: ['admin'], [CLIENT_TOKEN]: ['client'] },
): AuthChecker & { checked: string[] } {
  const checked: string[] = [];
  return {
    checked,
    async check(token) {
      checked.push(token);
      const roles = tokens[token];
      return roles ? { roles } : undefined;
    },
  };
}
