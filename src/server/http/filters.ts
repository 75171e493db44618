/**
 * The task list's filters as they appear in a URL (`/tasks?status=failed&type=flip&q=timeout`)
 * and as the store takes them: one parser for the page and the API, and the way back to a
 * query string, so every link keeps the filters.
 */
import { TASK_STATUSES, type TaskStatus } from '../../model/tasks.ts';
import type { TaskCursor, TaskQuery } from '../../store/types.ts';

/** Tasks a page shows at most, and by default. */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;
/** Tasks one page reads at most: a sparse search reads this far, then offers to go on. */
export const SCAN = 10_000;

/** A filter the URL cannot mean: answered with 400 and this message. */
export class FilterError extends Error {
  readonly statusCode = 400;
}

export interface Filters {
  statuses: TaskStatus[];
  type: string | undefined;
  /** As given (datetime-local text or ISO), for the form; and in ms. */
  from: { text: string; ms: number } | undefined;
  to: { text: string; ms: number } | undefined;
  q: string | undefined;
  before: TaskCursor | undefined;
  limit: number;
}

export type RawQuery = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
};

function time(name: string, text: string | undefined): Filters['from'] {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new FilterError(`${name}: not a time: ${text}`);
  return { text, ms };
}

/** The id below which the next page starts (the page before's last task, or its window's end). */
export function formatCursor(c: TaskCursor): string {
  return String(c.id);
}

function cursor(text: string | undefined): TaskCursor | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new FilterError(`before: not a cursor (a task id): ${text}`);
  return { id: Number(text) };
}

/** The filters of a URL's query; throws FilterError (400) on one it cannot mean. */
export function parseFilters(query: RawQuery): Filters {
  const raw = ([] as string[]).concat(query.status ?? []).flatMap((s) => s.split(','));
  const statuses = [...new Set(raw.map((s) => s.trim()).filter(Boolean))];
  for (const s of statuses) {
    if (!(TASK_STATUSES as readonly string[]).includes(s)) {
      throw new FilterError(`status: unknown status "${s}"; one of ${TASK_STATUSES.join(', ')}`);
    }
  }
  const limitText = one(query.limit);
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new FilterError(`limit: 1 to ${MAX_LIMIT}`);
  }
  const q = one(query.q);
  if (q !== undefined && q.length > 200) throw new FilterError('q: at most 200 characters');
  return {
    statuses: statuses as TaskStatus[],
    type: one(query.type),
    from: time('from', one(query.from)),
    to: time('to', one(query.to)),
    q,
    before: cursor(one(query.before)),
    limit,
  };
}

/** The store's query for these filters. */
export function toTaskQuery(f: Filters): TaskQuery {
  return {
    ...(f.statuses.length > 0 && { statuses: f.statuses }),
    ...(f.type !== undefined && { type: f.type }),
    ...(f.from && { from: f.from.ms }),
    ...(f.to && { to: f.to.ms }),
    ...(f.q !== undefined && { q: f.q }),
    ...(f.before && { before: f.before }),
    limit: f.limit,
    scan: Math.max(SCAN, f.limit),
  };
}

/** The query string of these filters (without the cursor unless given), for links. */
export function filterQuery(f: Filters, before?: TaskCursor): string {
  const p = new URLSearchParams();
  if (f.statuses.length > 0) p.set('status', f.statuses.join(','));
  if (f.type !== undefined) p.set('type', f.type);
  if (f.from) p.set('from', f.from.text);
  if (f.to) p.set('to', f.to.text);
  if (f.q !== undefined) p.set('q', f.q);
  if (f.limit !== DEFAULT_LIMIT) p.set('limit', String(f.limit));
  if (before) p.set('before', formatCursor(before));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}
