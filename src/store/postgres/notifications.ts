/**
 * The payloads of the store's NOTIFY messages: which instance sent them, whether tasks may
 * have become runnable, and which tasks changed. A batch's events go out as one or more
 * payloads, each under PostgreSQL's payload limit.
 *
 * A payload is JSON: `{"o":ORIGIN,"r":1,"d":MS,"s":MS,"p":1,"x":[TOKEN,...],"c":[ID,...]}`;
 * `r` is present only when tasks may have become runnable, `d` only when a task comes due at
 * that time (a delayed task, a retry), `s` only when a schedule's next run is then, `p` only
 * when the paused types changed, `x` only when a cancel ended running tasks' leases (these
 * tokens), `c` only when tasks changed. A batch whose ids do not fit in one payload is split:
 * everything but `c` travels in the first part only (a cancel revokes a few leases: `x` is
 * short).
 *
 * A small batch also sends `{"o":ORIGIN,"f":[…]}` per task it finished, before the rest
 * (notify-finished.sql): the task's row in TASK_COLUMNS order, for the servers whose clients
 * wait on it.
 */

import { TASK_COLUMNS } from '../rows.ts';
import type { Pipeline } from './connection.ts';

/** What one store instance reports to the others after a commit. */
export interface Notice {
  /** Tasks may have become runnable. */
  ready: boolean;
  /** Tasks that changed state, ascending and distinct. */
  ids: number[];
  /** The earliest time a task this batch stored comes due (ms), if any. */
  due?: number;
  /** The earliest next run of a schedule this batch stored (ms), if any. */
  schedule?: number;
  /** The paused task types changed. */
  paused?: boolean;
  /** Leases a cancel of running tasks ended: the servers holding them revoke them. */
  revoked?: number[];
  /** A finished task's row, in TASK_COLUMNS order (notify-finished.sql). */
  finished?: unknown[];
}

/** PostgreSQL refuses payloads of 8000 bytes or more (the default page size). */
export const MAX_PAYLOAD_BYTES = 7999;

/**
 * Encodes a notice from `origin` as payloads of at most `maxBytes` bytes each; none when
 * there is nothing to say. `origin` must be plain ASCII (the store's random id).
 */
export function encodeNotice(origin: string, notice: Notice, maxBytes = MAX_PAYLOAD_BYTES) {
  const ids = [...new Set(notice.ids)].sort((a, b) => a - b);
  const { due, schedule, paused } = notice;
  const revoked = notice.revoked?.length ? notice.revoked : undefined;
  if (
    !notice.ready &&
    ids.length === 0 &&
    due === undefined &&
    schedule === undefined &&
    !paused &&
    revoked === undefined
  )
    return [];
  const head = (first: boolean) =>
    `{"o":${JSON.stringify(origin)}${first && notice.ready ? ',"r":1' : ''}${
      first && due !== undefined ? `,"d":${due}` : ''
    }${first && schedule !== undefined ? `,"s":${schedule}` : ''}${first && paused ? ',"p":1' : ''}${
      first && revoked ? `,"x":[${revoked.join(',')}]` : ''
    }`;
  if (ids.length === 0) return [`${head(true)}}`];
  const payloads: string[] = [];
  let part = `${head(true)},"c":[`;
  let count = 0;
  for (const id of ids) {
    const item = `${count > 0 ? ',' : ''}${id}`;
    // Ids and the origin are ASCII: one byte per character. 2 bytes close the payload.
    if (part.length + item.length + 2 > maxBytes && count > 0) {
      payloads.push(`${part}]}`);
      part = `${head(false)},"c":[${id}`;
      count = 1;
      continue;
    }
    part += item;
    count += 1;
  }
  payloads.push(`${part}]}`);
  return payloads;
}

/**
 * True when `payload` was sent by `origin`, read off its first bytes: a server hears its own
 * notices too (one or two per commit) and drops them without parsing them. Both spellings:
 * encodeNotice's, and json_build_object's (notify-finished.sql) with spaces around the colon.
 */
export function sentBy(payload: string, origin: string): boolean {
  return payload.startsWith(`{"o":"${origin}"`) || payload.startsWith(`{"o" : "${origin}"`);
}

/** Decodes a payload; undefined when it is not one of ours (another program's NOTIFY). */
export function decodeNotice(payload: string): (Notice & { origin: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { o, r, c, d, s, p, x, f } = value as Record<string, unknown>;
  if (typeof o !== 'string') return undefined;
  const ids = Array.isArray(c) ? c.filter((id): id is number => Number.isSafeInteger(id)) : [];
  const notice: Notice & { origin: string } = { origin: o, ready: r === 1, ids };
  if (Number.isSafeInteger(d)) notice.due = d as number;
  if (Number.isSafeInteger(s)) notice.schedule = s as number;
  if (p === 1) notice.paused = true;
  if (Array.isArray(x)) notice.revoked = x.filter((t): t is number => Number.isSafeInteger(t));
  if (Array.isArray(f) && f.length === TASK_COLUMNS.length && Number.isSafeInteger(f[0])) {
    notice.finished = f;
  }
  return notice;
}

/** Where and as whom a store announces its changes; undefined when it does not. */
export interface Announcer {
  channel: string;
  origin: string;
  /**
   * Another server was heard lately (PEER_HEARD_MS): only then do small batches send the
   * records of the tasks they finished, which a server alone on its database sends to no one.
   */
  peers: boolean;
}

/**
 * A server that heard no other server's notice for this long stops sending finished records
 * (the ids notice still goes out, and a server that missed a record reads the task back).
 * A server whose client waits on a task another one runs has sent at least the submit's
 * notice, so the other has heard it by the time it claims the task.
 */
export const PEER_HEARD_MS = 60_000;

/**
 * A batch with at most this many completions tells the other servers the records of the
 * tasks it finished (notify-finished.sql): a quiet server's, where a round trip is what a
 * waiting client feels. A busy one's batches carry hundreds; their records would make every
 * server parse every task, and there a read for a waiting client costs a share of a round
 * trip.
 */
export const FINISHED_NOTICE_MAX = 8;

/**
 * Adds the NOTIFY of the records of the tasks `taskIds` finishes (if any do, the batch is
 * small, and other servers were heard) to a pipeline that goes on to commit: before
 * `announce`.
 */
export function announceFinished(
  p: Pipeline,
  announcer: Announcer | undefined,
  taskIds: readonly number[],
): void {
  if (!announcer?.peers || taskIds.length === 0 || taskIds.length > FINISHED_NOTICE_MAX) return;
  p.run('notify-finished', [announcer.channel, announcer.origin, [...taskIds]]);
}

/** Adds the NOTIFY of `notice` to a pipeline that goes on to commit. */
export function announce(p: Pipeline, announcer: Announcer | undefined, notice: Notice): void {
  if (!announcer) return;
  const payloads = encodeNotice(announcer.origin, notice);
  if (payloads.length > 0) p.run('notify', [announcer.channel, payloads]);
}
