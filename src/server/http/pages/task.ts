/**
 * `/tasks/ID`: one task: its data, result or error, progress, every attempt with its worker,
 * times and outcome, any further field the task view has (priority, due time, key, as the
 * scheduling features add them), and the actions the server offers for it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isTerminal } from '../../../model/tasks.ts';
import type { TaskView } from '../../../protocol/tasks.ts';
import { taskView } from '../../session/views.ts';
import type { HttpContext } from '../context.ts';
import { html, page } from '../html.ts';
import { offered } from '../operator.ts';
import { missingTask, readTask } from '../task-read.ts';
import { actionForm, badge, noticeOf, when } from './common.ts';

/** Fields shown in their own place; any other field of the view is listed as it is. */
const SHOWN = new Set([
  'id',
  'type',
  'status',
  'data',
  'result',
  'error',
  'reps',
  'unitsDone',
  'attempts',
  'progress',
  'createdAt',
  'startedAt',
  'finishedAt',
  'updatedAt',
  'attemptLog',
]);

const json = (v: unknown) => JSON.stringify(v, null, 2);

function details(t: TaskView) {
  const rows: [string, unknown][] = [
    ['Type', t.type],
    ['Attempts', t.attempts],
    ['Units', `${t.unitsDone} of ${t.reps}`],
    ['Progress', t.progress === undefined ? undefined : `${Math.round(t.progress * 100)}%`],
    ['Created', when(t.createdAt)],
    ['Started', when(t.startedAt)],
    ['Finished', when(t.finishedAt)],
    ['Updated', when(t.updatedAt)],
  ];
  for (const [key, value] of Object.entries(t)) {
    if (!SHOWN.has(key) && value !== undefined)
      rows.push([key, typeof value === 'string' ? value : json(value)]);
  }
  return html`<dl class="fields">${rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => html`<dt>${k}</dt><dd data-field="${k}">${v}</dd>`)}</dl>`;
}

function attempts(t: TaskView) {
  const log = t.attemptLog ?? [];
  if (log.length === 0) return html`<p>No attempt yet.</p>`;
  return html`<table id="attempts"><thead><tr><th>#</th><th>Worker</th><th>Outcome</th><th>Started</th><th>Ended</th><th>Units</th><th>Error</th></tr></thead>
<tbody>${log.map(
    (a) =>
      html`<tr><td class="n">${a.n}</td><td>${a.worker}</td><td>${badge(a.state)}</td><td>${when(a.startedAt)}</td><td>${when(a.endedAt)}</td><td class="n">${a.units ?? ''}</td><td class="data">${a.error ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

export const taskPage: FastifyPluginAsync<{ ctx: HttpContext }> = async (app, { ctx }) => {
  app.get<{ Params: { id: string } }>('/tasks/:id', async (req, reply) => {
    const record = await readTask(ctx, req.params.id);
    const csrf = ctx.csrf.token(req.session);
    const logout = req.session ? { csrf } : undefined;
    if (!record) {
      const why = await missingTask(ctx, req.params.id);
      const missing =
        why.status === 410
          ? html`<h1>Task pruned</h1><p>Task ${req.params.id} was finished and has been deleted by retention.</p>`
          : html`<h1>No such task</h1><p>There is no task ${req.params.id}.</p>`;
      return reply
        .code(why.status)
        .type('text/html; charset=utf-8')
        .send(page({ title: 'No such task', tab: 'tasks', logout }, missing));
    }
    const t = taskView(record);
    const can = offered(ctx.operator);
    const actions = ctx.readOnly
      ? ''
      : html`<div class="actions">${isTerminal(t.status) ? '' : actionForm(`/tasks/${t.id}/cancel`, 'Cancel', csrf)}${
          can.retry && isTerminal(t.status) && t.status !== 'done'
            ? actionForm(`/tasks/${t.id}/retry`, 'Retry', csrf)
            : ''
        }</div>`;
    // A task done after a failed attempt (a retry) shows its result and that last error.
    const outcome = html`${t.result !== undefined ? html`<h2>Result</h2><pre id="result">${json(t.result)}</pre>` : ''}${
      t.error !== undefined
        ? html`<h2>${t.status === 'done' ? 'Last error' : 'Error'}</h2><pre id="error">${t.error}</pre>`
        : ''
    }`;
    const content = html`<h1>Task ${t.id} ${badge(t.status)}</h1>${actions}${details(t)}
<h2>Data</h2><pre id="data">${json(t.data)}</pre>${outcome}
<h2>Attempts</h2>${attempts(t)}`;
    return reply
      .type('text/html; charset=utf-8')
      .send(page({ title: `Task ${t.id}`, tab: 'tasks', notice: noticeOf(req), logout }, content));
  });
};
