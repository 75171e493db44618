/**
 * CSRF tokens for the dashboard's actions: an HMAC of the session (or, without auth, of
 * nothing: one token per server process) under a secret drawn at start. Another site can
 * make a browser post a form here, but cannot read a page to learn the token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class Csrf {
  private readonly secret = randomBytes(32);

  /** The token for forms of this session (undefined: no auth). */
  token(session: string | undefined): string {
    return createHmac('sha256', this.secret)
      .update(`csrf:${session ?? ''}`)
      .digest('base64url');
  }

  /** Whether `given` is this session's token. */
  verify(given: unknown, session: string | undefined): boolean {
    if (typeof given !== 'string') return false;
    const want = Buffer.from(this.token(session));
    const got = Buffer.from(given);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
