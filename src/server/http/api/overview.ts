/**
 * The overview's data: `GET /api/overview` once, and `GET /api/overview/stream`, server-sent
 * events carrying the overview once a second (see OverviewFeed).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { OverviewFeed } from '../overview-feed.ts';

export const overviewApi: FastifyPluginAsync<{ feed: OverviewFeed }> = async (app, { feed }) => {
  app.get('/api/overview', async () => feed.current());

  app.get('/api/overview/stream', async (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    // At once, so the page is current before the first second passes.
    send(await feed.current());
    const unsubscribe = feed.subscribe(send);
    req.raw.on('close', unsubscribe);
  });
};
