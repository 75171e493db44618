/**
 * Authentication of the HTTP listener, in one place: with an AuthChecker (the server runs
 * with `--auth-file`), every route but the public ones (probes, assets, the login form)
 * needs a token with the `admin` role: a bearer token (`Authorization: Bearer …`, for
 * /metrics and scripts) or a session cookie from the login form (HttpOnly, SameSite=Strict).
 * Without a checker it adds nothing. Each refused token counts in taskwire_auth_failures_total.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, page } from './html.ts';

/** Checks a presented token: its roles, or undefined for a token it does not know. */
export interface AuthChecker {
  check(token: string, address: string): Promise<{ roles: readonly string[] } | undefined>;
}

export const SESSION_COOKIE = 'taskwire_session';
/** How long a login lasts. */
export const SESSION_MS = 12 * 3600_000;
/** Sessions kept at most; past it the oldest goes (a login loop cannot grow memory). */
const MAX_SESSIONS = 10_000;

export interface HttpAuthOptions {
  checker: AuthChecker;
  /** A token was refused (missing role included). */
  failed(): void;
  now(): number;
}

/** Where a login may send the browser on: a path of this server, nothing else. */
function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

function loginPage(next: string, message?: string): string {
  const content = html`<h1>Log in</h1>
<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="${next}">
<label>Token with the admin role <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>`;
  return page({ title: 'Log in', tab: 'login', notice: message }, content);
}

export class HttpAuth {
  /** Session id → when it expires. */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly opts: HttpAuthOptions) {}

  /** Adds the check to every route of `app`, and the login and logout routes. */
  register(app: FastifyInstance): void {
    void app.register(cookie);
    app.addHook('onRequest', (req, reply) => this.authenticate(req, reply));
    app.get<{ Querystring: { next?: string } }>(
      '/login',
      { config: { public: true } },
      async (req, reply) =>
        reply.type('text/html; charset=utf-8').send(loginPage(localPath(req.query.next))),
    );
    app.post<{ Body: { token?: unknown; next?: unknown } }>(
      '/login',
      { config: { public: true } },
      async (req, reply) => {
        const next = localPath(req.body?.next);
        const token = typeof req.body?.token === 'string' ? req.body.token : '';
        if (!(await this.isAdmin(token, req.ip))) {
          const message = 'That token is not valid, or lacks the admin role.';
          return reply.code(401).type('text/html; charset=utf-8').send(loginPage(next, message));
        }
        const id = this.open();
        void reply.setCookie(SESSION_COOKIE, id, {
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          maxAge: SESSION_MS / 1000,
        });
        return reply.redirect(next, 303);
      },
    );
    app.post('/logout', async (req, reply) => {
      if (req.session) this.sessions.delete(req.session);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.redirect('/login', 303);
    });
  }

  private async authenticate(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (req.routeOptions.config.public) return;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const bearer = /^Bearer (.+)$/i.exec(header)?.[1];
      if (bearer && (await this.isAdmin(bearer.trim(), req.ip))) return;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="taskwire"')
        .send({ error: 'a token with the admin role is needed' });
    }
    const id = req.cookies[SESSION_COOKIE];
    const expires = id === undefined ? undefined : this.sessions.get(id);
    if (id !== undefined && expires !== undefined && expires > this.opts.now()) {
      req.session = id;
      return;
    }
    if (id !== undefined) this.sessions.delete(id);
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
      return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="taskwire"')
      .send({ error: 'log in first, or send a token with the admin role' });
  }

  private async isAdmin(token: string, address: string): Promise<boolean> {
    const found = token === '' ? undefined : await this.opts.checker.check(token, address);
    if (found?.roles.includes('admin')) return true;
    this.opts.failed();
    return false;
  }

  private open(): string {
    const now = this.opts.now();
    for (const [id, expires] of this.sessions) if (expires <= now) this.sessions.delete(id);
    if (this.sessions.size >= MAX_SESSIONS) {
      this.sessions.delete(this.sessions.keys().next().value!);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, now + SESSION_MS);
    return id;
  }
}
