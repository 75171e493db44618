/**
 * The HTTP listener (`--http`): probes, metrics, the dashboard and its API, each a fastify
 * plugin of its own. Fastify, because it routes with a schema per route, runs routes as
 * encapsulated plugins, and has hooks where auth and CSRF plug in once for every route (a
 * well-kept framework with a small core; hono on node:http would have done as well, but
 * fastify's hooks and plugin model fit the room's layout). It serves on its own port, apart
 * from the task port; no route runs a query whose cost grows with the tasks table.
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { HttpAddress } from './address.ts';
import { overviewApi } from './api/overview.ts';
import { tasksApi } from './api/tasks.ts';
import { assetRoutes } from './assets.ts';
import { type AuthChecker, HttpAuth } from './auth.ts';
import type { HttpContext } from './context.ts';
import { metricsRoutes } from './metrics.ts';
import { OverviewFeed } from './overview-feed.ts';
import { overviewPage } from './pages/overview.ts';
import { taskPage } from './pages/task.ts';
import { tasksPages } from './pages/tasks.ts';
import { probesRoutes } from './probes.ts';

export interface HttpListenerOptions extends HttpAddress {
  /** Refuse every request but GET and HEAD (403), and show no actions. */
  readOnly?: boolean;
  /** Require a token with the admin role (see auth.ts); without it, no auth. */
  auth?: AuthChecker;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers without authentication (probes, the login form, static assets). */
    public?: boolean;
  }
}

/** Every page: only this server's scripts and styles, no framing, no sniffing. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const safe = (method: string) => method === 'GET' || method === 'HEAD';

export class HttpListener {
  private readonly app: FastifyInstance;
  private readonly feed: OverviewFeed;
  private bound: HttpAddress | undefined;

  constructor(
    ctx: HttpContext,
    private readonly opts: HttpListenerOptions,
  ) {
    this.feed = new OverviewFeed(ctx, ctx.metrics);
    const app = Fastify({
      logger: false,
      // Open event streams would hold close() until their clients leave.
      forceCloseConnections: true,
      return503OnClosing: true,
    });
    this.app = app;
    app.decorateRequest('session', undefined);
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) ctx.log.error({ err: error, url: request.url }, 'HTTP request failed');
      void reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
    });
    app.addHook('onRequest', async (request, reply) => {
      void reply.headers(SECURITY_HEADERS);
      if (opts.readOnly && !safe(request.method) && !request.routeOptions.config.public) {
        return reply.code(403).send({ error: 'the dashboard is read-only (--http-read-only)' });
      }
    });
    // Actions need the session's CSRF token (a form field or the x-csrf-token header).
    app.addHook('preHandler', async (request, reply) => {
      if (safe(request.method) || request.routeOptions.config.public) return;
      // A bearer token (checked by the auth hook) is no browser's ambient credential.
      if (opts.auth && request.headers.authorization !== undefined) return;
      const body = request.body as Record<string, unknown> | undefined;
      const given = request.headers['x-csrf-token'] ?? body?._csrf;
      if (!ctx.csrf.verify(given, request.session)) {
        return reply.code(403).send({ error: 'missing or wrong CSRF token; reload the page' });
      }
    });
    void app.register(formbody, { bodyLimit: 64 * 1024 });
    const { auth } = opts;
    if (auth) {
      const httpAuth = new HttpAuth({
        checker: auth,
        failed: () => ctx.metrics.authFailures.inc(),
        now: ctx.now,
      });
      // On the root instance, before the route plugins load: the check covers them all.
      httpAuth.register(app);
    }
    void app.register(probesRoutes, { ctx });
    void app.register(metricsRoutes, { ctx });
    void app.register(assetRoutes);
    void app.register(overviewApi, { feed: this.feed });
    void app.register(tasksApi, { ctx });
    void app.register(overviewPage, { ctx, feed: this.feed });
    void app.register(tasksPages, { ctx });
    void app.register(taskPage, { ctx });
  }

  /** Binds the port; resolves with the address bound. */
  async start(): Promise<HttpAddress> {
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    const address = this.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no HTTP address');
    this.bound = { host: address.address, port: address.port };
    this.feed.start();
    return this.bound;
  }

  get address(): HttpAddress | undefined {
    return this.bound;
  }

  /** Stops listening and ends open requests (event streams too). Safe to call twice. */
  async close(): Promise<void> {
    this.feed.stop();
    await this.app.close();
  }
}
