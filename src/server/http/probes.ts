/**
 * Probes for an orchestrator: `/healthz` says the process serves HTTP, `/readyz` that the
 * store answers too (503 while it does not). Never behind auth: a probe has no token.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpContext } from './context.ts';

export const probesRoutes: FastifyPluginAsync<{ ctx: HttpContext }> = async (app, { ctx }) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_req, reply) => {
    const { status, error } = ctx.storeHealth();
    if (status === 'ok') return { status: 'ok', store: 'ok' };
    return reply.code(503).send({ status: 'unavailable', store: status, error });
  });
};
