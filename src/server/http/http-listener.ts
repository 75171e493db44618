/**
 * The HTTP listener (`--http`): probes, metrics, the dashboard and its API, each a fastify
 * plugin of its own. Fastify, because it routes with a schema per route (TypeBox schemas,
 * which the project already uses for the wire, validate query strings and forms), runs
 * routes as encapsulated plugins, and has hooks where auth plugs in once for every route.
 * It serves on its own port, apart from the task port: nothing here runs on a connection's
 * path, and no route runs a query whose cost grows with the tasks table (see docs).
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { HttpAddress } from './address.ts';
import type { HttpContext } from './context.ts';
import { metricsRoutes } from './metrics.ts';
import { probesRoutes } from './probes.ts';

export interface HttpListenerOptions extends HttpAddress {
  /** Refuse every request but GET and HEAD (403), and show no actions. */
  readOnly?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers without authentication (probes, the login form, static assets). */
    public?: boolean;
  }
}

export class HttpListener {
  private readonly app: FastifyInstance;
  private bound: HttpAddress | undefined;

  constructor(
    ctx: HttpContext,
    private readonly opts: HttpListenerOptions,
  ) {
    this.app = Fastify({
      logger: false,
      // Open event streams would hold close() until their clients leave.
      forceCloseConnections: true,
      return503OnClosing: true,
    });
    this.app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) ctx.log.error({ err: error, url: request.url }, 'HTTP request failed');
      void reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
    });
    if (opts.readOnly) {
      this.app.addHook('onRequest', async (request, reply) => {
        if (request.method === 'GET' || request.method === 'HEAD') return;
        return reply.code(403).send({ error: 'the dashboard is read-only (--http-read-only)' });
      });
    }
    void this.app.register(probesRoutes, { ctx });
    void this.app.register(metricsRoutes, { ctx });
  }

  /** Binds the port; resolves with the address bound. */
  async start(): Promise<HttpAddress> {
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    const address = this.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no HTTP address');
    this.bound = { host: address.address, port: address.port };
    return this.bound;
  }

  get address(): HttpAddress | undefined {
    return this.bound;
  }

  /** Stops listening and ends open requests (event streams too). Safe to call twice. */
  async close(): Promise<void> {
    await this.app.close();
  }
}
