/**
 * The tasks API behind the pages: a filtered list (keyset pages; the filters as in the
 * page's URL), one task with its attempts, and the actions the server offers.
 */
import type { FastifyPluginAsync } from 'fastify';
import { taskView } from '../../session/views.ts';
import { type ActionName, act } from '../actions.ts';
import type { HttpContext } from '../context.ts';
import { formatCursor, parseFilters, type RawQuery, toTaskQuery } from '../filters.ts';
import { offered } from '../operator.ts';
import { missingTask, readTask } from '../task-read.ts';

export const tasksApi: FastifyPluginAsync<{ ctx: HttpContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: RawQuery }>('/api/tasks', async (req) => {
    const page = await ctx.store.listTasks(toTaskQuery(parseFilters(req.query)));
    return {
      tasks: page.tasks.map(taskView),
      ...(page.next && { next: formatCursor(page.next) }),
    };
  });

  app.get<{ Params: { id: string } }>('/api/tasks/:id', async (req, reply) => {
    const task = await readTask(ctx, req.params.id);
    if (!task) {
      const { status, message } = await missingTask(ctx, req.params.id);
      return reply.code(status).send({ error: message });
    }
    return taskView(task);
  });

  app.get('/api/actions', async () => ({ ...offered(ctx.operator), readOnly: ctx.readOnly }));

  const action = (name: ActionName, path: string, param: 'id' | 'type') =>
    app.post<{ Params: Record<string, string> }>(path, async (req, reply) => {
      const outcome = await act(ctx.operator, name, req.params[param]!);
      if (!outcome.ok) return reply.code(outcome.status).send({ error: outcome.message });
      return { ok: true, message: outcome.message };
    });
  action('cancel', '/api/tasks/:id/cancel', 'id');
  action('retry', '/api/tasks/:id/retry', 'id');
  action('pause', '/api/types/:type/pause', 'type');
  action('resume', '/api/types/:type/resume', 'type');

  app.post<{ Querystring: RawQuery }>('/api/tasks/retry', async (req, reply) => {
    if (!ctx.operator.retryMatching) {
      return reply.code(404).send({ error: 'this server cannot retry tasks' });
    }
    const { before: _b, limit: _l, scan: _s, ...query } = toTaskQuery(parseFilters(req.query));
    return { retried: await ctx.operator.retryMatching(query) };
  });
};
