/**
 * `/`: the overview. The server renders it whole (it reads without scripts); overview.js
 * then keeps it current from the event stream, and draws the throughput chart (uPlot).
 */
import type { FastifyPluginAsync } from 'fastify';
import { TASK_STATUSES } from '../../../model/tasks.ts';
import type { HttpContext } from '../context.ts';
import { html, page } from '../html.ts';
import { offered } from '../operator.ts';
import type { Overview, OverviewFeed } from '../overview-feed.ts';
import { actionForm, badge, noticeOf, when } from './common.ts';

function countsTable(o: Overview) {
  return html`<table id="counts"><thead><tr><th>Type</th>${TASK_STATUSES.map((s) => html`<th>${s}</th>`)}</tr></thead>
<tbody>${o.counts.map(
    (row) =>
      html`<tr><td><a href="/tasks?type=${encodeURIComponent(row.type)}">${row.type}</a></td>${TASK_STATUSES.map(
        (s) =>
          html`<td class="n"><a href="/tasks?type=${encodeURIComponent(row.type)}&amp;status=${s}">${row[s]}</a></td>`,
      )}</tr>`,
  )}</tbody></table>`;
}

function workersTable(o: Overview) {
  return html`<table id="workers"><thead><tr><th>Worker</th><th>Address</th><th>Types</th><th>In flight</th><th>Done</th><th>Connected</th></tr></thead>
<tbody>${o.workers.map(
    (w) =>
      html`<tr><td>${w.name}</td><td>${w.address}</td><td>${w.types.join(', ')}</td><td class="n">${w.inFlight} / ${w.concurrency}</td><td class="n">${w.done}</td><td>${when(w.connectedAt)}</td></tr>`,
  )}</tbody></table>`;
}

function recentTable(o: Overview) {
  return html`<table id="recent"><thead><tr><th>Id</th><th>Type</th><th>Status</th><th>Created</th></tr></thead>
<tbody>${o.recent.map(
    (t) =>
      html`<tr data-id="${t.id}"><td><a href="/tasks/${t.id}">${t.id}</a></td><td>${t.type}</td><td>${badge(t.status)}</td><td>${when(t.createdAt)}</td></tr>`,
  )}</tbody></table>`;
}

export const overviewPage: FastifyPluginAsync<{ ctx: HttpContext; feed: OverviewFeed }> = async (
  app,
  { ctx, feed },
) => {
  app.get('/', async (req, reply) => {
    const o = await feed.current();
    const paused = o.paused.length > 0 ? o.paused.join(', ') : 'none';
    const csrf = ctx.csrf.token(req.session);
    // A button per type: Pause, or Resume for a paused one (they redirect back here).
    const types = [...new Set([...o.counts.map((c) => c.type), ...o.paused])].sort();
    const pausing =
      ctx.readOnly || !offered(ctx.operator).pause || types.length === 0
        ? ''
        : html`<div class="actions" id="pause-actions">${types.map((type) =>
            o.paused.includes(type)
              ? actionForm(`/types/${encodeURIComponent(type)}/resume`, `Resume ${type}`, csrf)
              : actionForm(`/types/${encodeURIComponent(type)}/pause`, `Pause ${type}`, csrf),
          )}</div>`;
    const content = html`<h1>Overview</h1>
<p class="meta">Store: <span id="store">${o.store}</span> · updated <span id="updated">${when(o.at)}</span> · <span id="live">connecting…</span></p>
<section><h2>Tasks by type and status</h2>${countsTable(o)}</section>
<section><h2>Throughput (tasks per second)</h2><div id="chart" aria-label="throughput chart"></div></section>
<section class="cols">
<div><h2>Workers</h2>${workersTable(o)}<p>Paused types: <span id="paused">${paused}</span></p>${pausing}</div>
<div><h2>Newest tasks</h2>${recentTable(o)}</div>
</section>`;
    return reply.type('text/html; charset=utf-8').send(
      page(
        {
          title: 'Overview',
          tab: 'overview',
          scripts: ['uPlot.iife.min.js', 'overview.js'],
          notice: noticeOf(req),
          logout: req.session ? { csrf } : undefined,
        },
        content,
      ),
    );
  });
};
