/**
 * `/assets/…`: the dashboard's scripts and styles, served by the server itself from the
 * repository (assets/, copied into dist/ by the build) and from npm packages (uPlot): a
 * fixed list of files read at start, so no path from a request ever reaches the disk.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const require = createRequire(import.meta.url);
const uplot = dirname(require.resolve('uplot/package.json'));
const own = new URL('./assets/', import.meta.url);

const FILES: Record<string, { path: string | URL; type: string }> = {
  'dashboard.css': { path: new URL('dashboard.css', own), type: 'text/css' },
  'overview.js': { path: new URL('overview.js', own), type: 'text/javascript' },
  'uPlot.iife.min.js': { path: join(uplot, 'dist/uPlot.iife.min.js'), type: 'text/javascript' },
  'uPlot.min.css': { path: join(uplot, 'dist/uPlot.min.css'), type: 'text/css' },
};

export const assetRoutes: FastifyPluginAsync = async (app) => {
  const files = new Map(
    Object.entries(FILES).map(([name, f]) => [name, { body: readFileSync(f.path), type: f.type }]),
  );
  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    { config: { public: true } },
    async (req, reply) => {
      const file = files.get(req.params.name);
      if (!file) return reply.code(404).send({ error: 'no such asset' });
      return reply
        .type(`${file.type}; charset=utf-8`)
        .header('cache-control', 'public, max-age=3600')
        .send(file.body);
    },
  );
};
