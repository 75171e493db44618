/**
 * `/tasks`: the task list, filtered by status, type, time range and text, every filter in
 * the URL (so a link can be shared), a keyset page at a time ("Older" carries the cursor);
 * and the form posts of the actions, which redirect back with a notice.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { TASK_STATUSES } from '../../../model/tasks.ts';
import { taskView } from '../../session/views.ts';
import { type ActionName, act } from '../actions.ts';
import type { HttpContext } from '../context.ts';
import { type Filters, filterQuery, parseFilters, type RawQuery, toTaskQuery } from '../filters.ts';
import { html, page } from '../html.ts';
import { offered } from '../operator.ts';
import { actionForm, badge, noticeOf, preview, when } from './common.ts';

function filterForm(f: Filters) {
  const checked = (s: string) => (f.statuses.includes(s as never) ? html` checked` : '');
  return html`<form method="get" action="/tasks" class="filters" role="search">
<fieldset><legend>Status</legend>${TASK_STATUSES.map(
    (s) =>
      html`<label><input type="checkbox" name="status" value="${s}"${checked(s)}> ${s}</label>`,
  )}</fieldset>
<label>Type <input name="type" value="${f.type ?? ''}" size="12"></label>
<label>From <input type="datetime-local" step="1" name="from" value="${f.from?.text ?? ''}"></label>
<label>To <input type="datetime-local" step="1" name="to" value="${f.to?.text ?? ''}"></label>
<label>Search <input type="search" name="q" value="${f.q ?? ''}" placeholder="id, data, result, error"></label>
<button type="submit">Filter</button> <a href="/tasks">Clear</a>
</form>`;
}

function redirect(reply: FastifyReply, to: string, notice: string) {
  const sep = to.includes('?') ? '&' : '?';
  return reply.redirect(`${to}${sep}notice=${encodeURIComponent(notice)}`, 303);
}

export const tasksPages: FastifyPluginAsync<{ ctx: HttpContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: RawQuery }>('/tasks', async (req, reply) => {
    const f = parseFilters(req.query);
    const { tasks, next } = await ctx.store.listTasks(toTaskQuery(f));
    const views = tasks.map(taskView);
    const csrf = ctx.csrf.token(req.session);
    const can = offered(ctx.operator);
    const filtered = f.statuses.length > 0 || f.type || f.q || f.from || f.to;
    const retryAll =
      !ctx.readOnly && can.retryMatching && filtered
        ? actionForm(`/tasks/retry${filterQuery(f)}`, 'Retry every matching task', csrf)
        : '';
    const content = html`<h1>Tasks</h1>${filterForm(f)}${retryAll}
<table id="tasks"><thead><tr><th>Id</th><th>Type</th><th>Status</th><th>Created</th><th>Attempts</th><th>Data</th><th>Result or error</th></tr></thead>
<tbody>${views.map(
      (t) =>
        html`<tr data-id="${t.id}"><td><a href="/tasks/${t.id}">${t.id}</a></td><td>${t.type}</td><td>${badge(t.status)}</td><td>${when(t.createdAt)}</td><td class="n">${t.attempts}</td><td class="data">${preview(t.data)}</td><td class="data">${t.error ?? preview(t.result)}</td></tr>`,
    )}</tbody></table>
${views.length === 0 ? html`<p class="empty">${next ? 'No match among the tasks read so far.' : 'No task matches.'}</p>` : ''}
<p class="pager">${f.before ? html`<a href="/tasks${filterQuery(f)}">Newest</a> · ` : ''}${
      next
        ? html`<a href="/tasks${filterQuery(f, next)}" rel="next">Older →</a>`
        : 'No older tasks.'
    }</p>`;
    return reply.type('text/html; charset=utf-8').send(
      page(
        {
          title: 'Tasks',
          tab: 'tasks',
          notice: noticeOf(req),
          logout: req.session ? { csrf } : undefined,
        },
        content,
      ),
    );
  });

  const action = (
    name: ActionName,
    path: string,
    param: 'id' | 'type',
    back: (t: string) => string,
  ) =>
    app.post<{ Params: Record<string, string> }>(path, async (req, reply) => {
      const target = req.params[param]!;
      const outcome = await act(ctx.operator, name, target);
      if (!outcome.ok && outcome.status === 404 && name !== 'cancel' && name !== 'retry') {
        return reply.code(404).send({ error: outcome.message });
      }
      return redirect(reply, back(target), outcome.message);
    });
  action('cancel', '/tasks/:id/cancel', 'id', (id) => `/tasks/${encodeURIComponent(id)}`);
  action('retry', '/tasks/:id/retry', 'id', (id) => `/tasks/${encodeURIComponent(id)}`);
  action('pause', '/types/:type/pause', 'type', () => '/');
  action('resume', '/types/:type/resume', 'type', () => '/');

  app.post<{ Querystring: RawQuery }>('/tasks/retry', async (req, reply) => {
    const f = parseFilters(req.query);
    if (!ctx.operator.retryMatching) return reply.code(404).send({ error: 'cannot retry' });
    const { before: _b, limit: _l, scan: _s, ...query } = toTaskQuery(f);
    const n = await ctx.operator.retryMatching(query);
    return redirect(reply, `/tasks${filterQuery(f)}`, `${n} tasks will run again`);
  });
};
