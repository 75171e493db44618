/** What the pages share: the request's session bits, times, JSON previews, status badges. */
import type { FastifyRequest } from 'fastify';
import type { Json } from '../../../model/tasks.ts';
import { type Html, html } from '../html.ts';

/** Set by the auth hook: the session of the request, when the server runs with auth. */
declare module 'fastify' {
  interface FastifyRequest {
    session: string | undefined;
  }
}

/** A time as the pages show it (UTC, to the second). */
export function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')}Z` : '';
}

/** JSON on one line, cut to `max` characters. */
export function preview(value: Json | undefined, max = 80): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function badge(status: string): Html {
  return html`<span class="status status-${status}">${status}</span>`;
}

/** A form that posts one action, with the CSRF token; `confirm` is the button's label. */
export function actionForm(action: string, label: string, csrf: string, extra?: Html): Html {
  return html`<form method="post" action="${action}" class="action"><input type="hidden" name="_csrf" value="${csrf}">${extra}<button type="submit">${label}</button></form>`;
}

/** The `notice` of a redirect after an action, shown escaped. */
export function noticeOf(req: FastifyRequest): string | undefined {
  const n = (req.query as Record<string, unknown>).notice;
  return typeof n === 'string' ? n.slice(0, 300) : undefined;
}
