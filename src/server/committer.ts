/**
 * Group commit: every write asked for during one event-loop turn goes to the store in one
 * batch, one transaction (a batch of 64 submits or completions or more goes as soon as the
 * request that filled it is handled). A caller's promise settles only after that
 * transaction commits, so "acknowledged" always means "committed". While a batch is being
 * written (an async store), new writes gather for the next one; at most one batch is in
 * flight. Nothing one request carries can fail a batch that others share: a batch the store
 * refuses for a reason other than being unavailable is written again one caller at a time,
 * so each caller gets its own verdict (see `refused`).
 */

import { isStoreUnavailable } from '../store/errors.ts';
import type {
  CancelOutcome,
  ClaimOutcome,
  ClaimRequest,
  Completion,
  Failure,
  NewTask,
  Store,
  TaskState,
  WriteBatch,
  WriteOutcome,
} from '../store/types.ts';
import { emptyBatch, hasWrites } from '../store/types.ts';

type Settle<T> = { resolve: (value: T) => void; reject: (error: unknown) => void };

/** What a submit call got: an id per task, and which of them were duplicates (positions). */
export interface Submitted {
  ids: number[];
  /** Positions in the call's tasks whose key another task held (its id is in `ids`). */
  duplicates: readonly number[];
}

const NO_DUPLICATES: readonly number[] = Object.freeze([]);

/**
 * A batch this large is written as soon as the request that filled it is handled (on
 * nextTick), not at the end of the loop turn: a worker's report (its next tasks ride in the
 * same transaction) or a big submitMany goes out while the other connections' requests of
 * the turn are still being read, so the worker works while the server writes the rest.
 */
const EARLY_FLUSH_ITEMS = 64;

interface Pending {
  batch: WriteBatch;
  submits: (Settle<Submitted> & { committed?: (submitted: Submitted) => void })[];
  /** How many tasks each submit call added, to split the batch's ids. */
  submitSizes: number[];
  /** Each completeMany call's share of the batch's completions: [start, count). */
  completions: { settle: Settle<(TaskState | undefined)[]>; start: number; count: number }[];
  failures: Settle<TaskState | undefined>[];
  releases: Settle<TaskState | undefined>[];
  cancels: Settle<CancelOutcome>[];
  progress: Settle<boolean>[];
}

/**
 * Adds claims to the batches of a store that applies them in the write's transaction
 * (`capabilities.claimsInWrite`): the scheduler, deciding at the last moment who gets tasks.
 */
export interface ClaimPlanner {
  /** The claims to apply after the batch's other writes (it may be empty). */
  plan(batch: WriteBatch): ClaimRequest[];
  /** What the claims got once the batch committed (after onCommit); undefined if it failed. */
  claimed(outcomes: ClaimOutcome[] | undefined): void;
}

/**
 * What listens to commits (the waiters' pushes, the scheduler, the store's health): told in
 * the order they were added, after the batch's callers got their answers.
 */
export interface CommitListener {
  /** A batch committed: the batch, what it did, and how long the store took (ms). */
  committed?(batch: WriteBatch, outcome: WriteOutcome, ms: number): void;
  /** A batch failed (each caller's promise rejected with the error too). */
  failed?(error: unknown): void;
  /** Whether reports on this task should come back as whole records (WriteBatch.full). */
  wantsRecord?(taskId: number): boolean;
}

export interface CommitterOptions {
  now: () => number;
}

export class Committer {
  private pending: Pending | undefined;
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private early = false;
  private planner: ClaimPlanner | undefined;
  private readonly listeners: CommitListener[] = [];
  private full: ((taskId: number) => boolean) | undefined;
  private leaseOf: WriteBatch['leaseOf'];

  constructor(
    private readonly store: Store,
    private readonly opts: CommitterOptions,
  ) {}

  /**
   * Inserts tasks; resolves with their ids once committed. `committed` gets the ids as the
   * commit is reported, before anything else hears of it (onCommit, which tells waiters of
   * the batch's changes): a waiter it registers misses no change, even one in that batch.
   */
  submit(tasks: NewTask[], committed?: (submitted: Submitted) => void): Promise<Submitted> {
    const p = this.current();
    p.batch.submits.push(...tasks);
    p.submitSizes.push(tasks.length);
    this.flushEarlyIfLarge(p.batch);
    return new Promise((resolve, reject) => p.submits.push({ resolve, reject, committed }));
  }

  /** Records completions; resolves, in their order, with each task after it (or undefined). */
  completeMany(cs: Completion[]): Promise<(TaskState | undefined)[]> {
    const p = this.current();
    const start = p.batch.completions.length;
    p.batch.completions.push(...cs);
    this.flushEarlyIfLarge(p.batch);
    return new Promise((resolve, reject) =>
      p.completions.push({ settle: { resolve, reject }, start, count: cs.length }),
    );
  }

  fail(f: Failure): Promise<TaskState | undefined> {
    const p = this.current();
    p.batch.failures.push(f);
    return new Promise((resolve, reject) => p.failures.push({ resolve, reject }));
  }

  release(token: number): Promise<TaskState | undefined> {
    const p = this.current();
    p.batch.releases.push(token);
    return new Promise((resolve, reject) => p.releases.push({ resolve, reject }));
  }

  cancel(id: number): Promise<CancelOutcome> {
    const p = this.current();
    p.batch.cancels.push(id);
    return new Promise((resolve, reject) => p.cancels.push({ resolve, reject }));
  }

  progress(token: number, progress: number): Promise<boolean> {
    const p = this.current();
    p.batch.progress.push({ token, progress });
    return new Promise((resolve, reject) => p.progress.push({ resolve, reject }));
  }

  /** Tells `listener` of every batch from now on. */
  listen(listener: CommitListener): void {
    this.listeners.push(listener);
    const wants = this.listeners.flatMap((l) => (l.wantsRecord ? [l.wantsRecord.bind(l)] : []));
    this.full =
      wants.length === 0
        ? undefined
        : wants.length === 1
          ? wants[0]
          : (id) => wants.some((w) => w(id));
  }

  /** From now on every batch asks `planner` for claims to apply with it. */
  planClaims(planner: ClaimPlanner): void {
    this.planner = planner;
  }

  /** From now on every batch tells the store the tasks of the leases held here (leaseOf). */
  knowLeases(leaseOf: NonNullable<WriteBatch['leaseOf']>): void {
    this.leaseOf = leaseOf;
  }

  /** Makes sure a batch is written soon, even with nothing else in it (for its claims). */
  touch(): void {
    this.current();
  }

  /** Resolves when everything asked for so far is committed (or has failed). */
  async drain(): Promise<void> {
    while (this.pending || this.writing) {
      if (this.writing) await this.writing;
      else await this.flush();
    }
  }

  private current(): Pending {
    this.pending ??= newPending(0);
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      // setImmediate runs after this turn's I/O callbacks: everything the sockets delivered
      // in this turn joins the same transaction.
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
    return this.pending;
  }

  private flushEarlyIfLarge(batch: WriteBatch): void {
    if (this.early || this.writing) return;
    if (batch.submits.length + batch.completions.length < EARLY_FLUSH_ITEMS) return;
    this.early = true;
    process.nextTick(() => {
      this.early = false;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    const p = this.pending;
    if (!p || this.writing) return this.writing ?? Promise.resolve();
    this.pending = undefined;
    const { batch } = p;
    batch.now = this.opts.now();
    if (this.full) batch.full = this.full;
    if (this.leaseOf) batch.leaseOf = this.leaseOf;
    const planner = this.planner;
    if (planner) batch.claims = planner.plan(batch);
    if (!hasWrites(batch) && batch.claims.length === 0) return Promise.resolve();
    const claims = planner && batch.claims.length > 0 ? planner : undefined;
    this.writing = this.commit(p, claims).finally(() => {
      this.writing = undefined;
      if (this.pending) void this.flush();
    });
    return this.writing;
  }

  /** Writes `p`'s batch in one transaction and settles its callers with what it did. */
  private commit(p: Pending, claims: ClaimPlanner | undefined): Promise<void> {
    const { batch } = p;
    const started = performance.now();
    return this.store.write(batch).then(
      (outcome) => {
        const ms = performance.now() - started;
        this.settle(p, outcome);
        for (const l of this.listeners) l.committed?.(batch, outcome, ms);
        claims?.claimed(outcome.claims);
      },
      (error: unknown) => {
        claims?.claimed(undefined);
        return this.refused(p, error);
      },
    );
  }

  /**
   * The store refused `p`'s batch. Unavailable (disk full, connection lost): every caller gets
   * the error. Otherwise one caller's request may be what it cannot take (data that breaks the
   * store's JSON, a constraint): each caller's share is written on its own, so the honest ones
   * commit and only the culprit gets the error. Rare, so written one after the other.
   */
  private async refused(p: Pending, error: unknown): Promise<void> {
    if (isStoreUnavailable(error) || callers(p) < 2) {
      this.rejectAll(p, error);
      for (const l of this.listeners) l.failed?.(error);
      return;
    }
    for (const one of split(p)) await this.commit(one, undefined);
    // The claims of the batch were not applied: plan them again with the next one.
    if (this.planner) this.touch();
  }

  private settle(p: Pending, o: WriteOutcome): void {
    let offset = 0;
    const dups = o.duplicates;
    p.submits.forEach((s, i) => {
      const size = p.submitSizes[i]!;
      const ids = o.ids.slice(offset, offset + size);
      const end = offset + size;
      const duplicates =
        dups.length === 0
          ? NO_DUPLICATES
          : dups.filter((d) => d >= offset && d < end).map((d) => d - offset);
      const submitted = { ids, duplicates };
      s.committed?.(submitted);
      s.resolve(submitted);
      offset += size;
    });
    for (const c of p.completions) {
      c.settle.resolve(o.completions.slice(c.start, c.start + c.count));
    }
    resolveEach(p.failures, o.failures);
    resolveEach(p.releases, o.releases);
    resolveEach(p.cancels, o.cancels);
    resolveEach(p.progress, o.progress);
  }

  private rejectAll(p: Pending, error: unknown): void {
    for (const c of p.completions) c.settle.reject(error);
    for (const list of [p.submits, p.failures, p.releases, p.cancels, p.progress]) {
      for (const s of list as Settle<unknown>[]) s.reject(error);
    }
  }
}

function newPending(now: number): Pending {
  return {
    batch: emptyBatch(now),
    submits: [],
    submitSizes: [],
    completions: [],
    failures: [],
    releases: [],
    cancels: [],
    progress: [],
  };
}

/** How many calls wait on `p` (each submit, completeMany, fail… call counts once). */
function callers(p: Pending): number {
  return (
    p.submits.length +
    p.completions.length +
    p.failures.length +
    p.releases.length +
    p.cancels.length +
    p.progress.length
  );
}

/** `p` as one Pending per caller, in the batch's order of kinds, without claims. */
function split(p: Pending): Pending[] {
  const { batch } = p;
  const one = (fill: (q: Pending) => void): Pending => {
    const q = newPending(batch.now);
    if (batch.full) q.batch.full = batch.full;
    if (batch.leaseOf) q.batch.leaseOf = batch.leaseOf;
    fill(q);
    return q;
  };
  const parts: Pending[] = [];
  let offset = 0;
  p.submits.forEach((settle, i) => {
    const size = p.submitSizes[i]!;
    const tasks = batch.submits.slice(offset, offset + size);
    offset += size;
    parts.push(
      one((q) => {
        q.batch.submits = tasks;
        q.submitSizes.push(size);
        q.submits.push(settle);
      }),
    );
  });
  for (const c of p.completions) {
    const items = batch.completions.slice(c.start, c.start + c.count);
    parts.push(
      one((q) => {
        q.batch.completions = items;
        q.completions.push({ settle: c.settle, start: 0, count: c.count });
      }),
    );
  }
  const each = <T, S>(items: T[], settles: S[], put: (q: Pending, item: T, s: S) => void) =>
    settles.forEach((s, i) => {
      parts.push(one((q) => put(q, items[i]!, s)));
    });
  each(batch.failures, p.failures, (q, f, s) => {
    q.batch.failures.push(f);
    q.failures.push(s);
  });
  each(batch.releases, p.releases, (q, r, s) => {
    q.batch.releases.push(r);
    q.releases.push(s);
  });
  each(batch.cancels, p.cancels, (q, c, s) => {
    q.batch.cancels.push(c);
    q.cancels.push(s);
  });
  each(batch.progress, p.progress, (q, g, s) => {
    q.batch.progress.push(g);
    q.progress.push(s);
  });
  return parts;
}

function resolveEach<T>(settles: Settle<T>[], values: T[]): void {
  for (let i = 0; i < settles.length; i++) settles[i]!.resolve(values[i]!);
}
