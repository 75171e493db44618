/**
 * HTML for the dashboard's pages: a tagged template whose every interpolated value is
 * escaped unless it is itself `html` (so task data, results and errors always show as
 * text), and the page layout. No page builds markup any other way.
 */

/** Markup that is safe as it is (built by `html`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text with the characters that mean something in HTML (and in attributes) escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** Markup from a template: values are escaped, arrays joined, nullish and false left out. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

export interface PageOptions {
  title: string;
  /** Which tab of the navigation is this page's. */
  tab: 'overview' | 'tasks' | 'login';
  /** Scripts of /assets/ this page runs. */
  scripts?: string[];
  /** Shown above the content (an action's outcome). */
  notice?: string | undefined;
  /** A logout button (an auth session is open). */
  logout?: { csrf: string } | undefined;
}

/** A whole page: head, navigation, content. Styles and scripts come from /assets/ only. */
export function page(opts: PageOptions, content: Html): string {
  const tab = (name: PageOptions['tab'], href: string, label: string) =>
    html`<a href="${href}"${new Html(opts.tab === name ? ' aria-current="page"' : '')}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · taskwire</title>
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<header>
<strong class="brand">taskwire</strong>
<nav>${tab('overview', '/', 'Overview')}${tab('tasks', '/tasks', 'Tasks')}</nav>
${
  opts.logout &&
  html`<form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${opts.logout.csrf}"><button>Log out</button></form>`
}
</header>
<main>
${opts.notice && html`<p class="notice" role="status">${opts.notice}</p>`}
${content}
</main>
${(opts.scripts ?? []).map((s) => html`<script src="/assets/${s}"></script>`)}
</body>
</html>
`.text;
}
