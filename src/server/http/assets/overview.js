// The overview, kept current from /api/overview/stream (server-sent events, one a second).
// Everything from the server goes in as text (textContent), never as markup.
(() => {
  // The columns the server rendered (its statuses), read once from the table's head.
  const STATUSES = [...document.querySelectorAll('#counts thead th')]
    .slice(1)
    .map((th) => th.textContent);
  const $ = (id) => document.getElementById(id);
  const when = (iso) => (iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '');
  const el = (tag, text, attrs) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
    return e;
  };
  const link = (href, text) => el('a', text, { href });
  const row = (cells, attrs) => {
    const tr = el('tr', undefined, attrs);
    for (const c of cells) {
      const td = typeof c === 'object' && c !== null && c.node ? c.node : el('td', c);
      if (c?.className) td.className = c.className;
      tr.append(td);
    }
    return tr;
  };
  const cell = (node, className) => {
    const td = el('td');
    td.append(node);
    return { node: td, className };
  };
  const fill = (table, rows) => table.tBodies[0].replaceChildren(...rows);

  let chart;
  function drawChart(tp) {
    const data = [tp.t, tp.submitted, tp.finished];
    const box = $('chart');
    if (!window.uPlot || !box) return;
    if (!chart) {
      chart = new window.uPlot(
        {
          width: box.clientWidth || 800,
          height: 220,
          series: [
            {},
            { label: 'submitted/s', stroke: '#2f5bd3', width: 2 },
            { label: 'finished/s', stroke: '#1f9d55', width: 2 },
          ],
          scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        },
        data,
        box,
      );
    } else chart.setData(data);
  }

  function render(o) {
    $('store').textContent = o.store;
    $('updated').textContent = when(o.at);
    $('paused').textContent = o.paused.length > 0 ? o.paused.join(', ') : 'none';
    fill(
      $('counts'),
      o.counts.map((c) => {
        const q = `type=${encodeURIComponent(c.type)}`;
        return row([
          cell(link(`/tasks?${q}`, c.type)),
          ...STATUSES.map((s) => cell(link(`/tasks?${q}&status=${s}`, c[s]), 'n')),
        ]);
      }),
    );
    fill(
      $('workers'),
      o.workers.map((w) =>
        row([
          w.name,
          w.address,
          w.types.join(', '),
          `${w.inFlight} / ${w.concurrency}`,
          w.done,
          when(w.connectedAt),
        ]),
      ),
    );
    fill(
      $('recent'),
      o.recent.map((t) =>
        row(
          [
            cell(link(`/tasks/${encodeURIComponent(t.id)}`, t.id)),
            t.type,
            cell(el('span', t.status, { class: `status status-${t.status}` })),
            when(t.createdAt),
          ],
          { 'data-id': t.id },
        ),
      ),
    );
    drawChart(o.throughput);
  }

  const live = $('live');
  const source = new EventSource('/api/overview/stream');
  source.onopen = () => {
    live.textContent = 'live';
  };
  source.onerror = () => {
    live.textContent = 'reconnecting…';
  };
  source.onmessage = (event) => render(JSON.parse(event.data));
})();
