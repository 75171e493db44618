/** `GET /metrics`: the server's metrics in the Prometheus text format (see server/metrics.ts). */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from './context.ts';

export const metricsRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (app, { ctx }) => {
  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.metrics.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
};
