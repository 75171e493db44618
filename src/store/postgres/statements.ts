/**
 * The PostgreSQL store's runtime statements, one `.sql` file each in `sql/`. Each runs as a
 * named prepared statement (its file name), so a connection parses and plans it once.
 */
import type pg from 'pg';
import { TASK_COLUMNS } from '../rows.ts';
import { loadSqlDir } from '../sql-files.ts';

const SQL_DIR = new URL('./sql/', import.meta.url);

/** Every statement file the store runs; `loadStatements` checks the folder matches. */
const NAMES = [
  'analyze',
  'counts',
  'counts-by-type',
  'leases-end',
  'leases-extend',
  'leases-lock',
  'leases-lock-cancel',
  'leases-of-task',
  'next-run-at',
  'notify',
  'notify-finished',
  'oldest-ready',
  'paused-list',
  'paused-put',
  'paused-remove',
  'prune-leases',
  'prune-lock',
  'prune-marks',
  'prune-marks-raise',
  'prune-scan',
  'prune-tally',
  'prune-tally-age',
  'prune-tally-tasks',
  'prune-tasks',
  'retries-of-task',
  'schedule-put',
  'schedule-remove',
  'schedules-due',
  'schedules-list',
  'schedules-next',
  'schedules-ticked',
  'tally-by-name',
  'tally-insert',
  'tally-summary',
  'tally-task-insert',
  'task-get',
  'task-id-at',
  'task-insert',
  'task-insert-claim',
  'task-list',
  'task-list-end',
  'task-list-failed',
  'task-list-failed-end',
  'task-max-id',
  'task-retry',
  'task-insert-options',
  'tasks-by-key',
  'tasks-cancel',
  'tasks-claim',
  'tasks-complete',
  'tasks-enqueue-due',
  'tasks-fail',
  'tasks-key-release',
  'tasks-lock',
  'tasks-progress',
  'tasks-release',
  'types-declare',
  'types-list',
] as const;

export type StatementName = (typeof NAMES)[number];

/**
 * Statements read as arrays, with the columns their mapping expects: tasks come back in
 * TASK_COLUMNS order, after the columns that say which input row they answer.
 */
const ARRAY_COLUMNS: Partial<Record<StatementName, readonly string[]>> = {
  'task-get': TASK_COLUMNS,
  'task-list': TASK_COLUMNS,
  'task-list-failed': TASK_COLUMNS,
  'tasks-complete': ['token', ...TASK_COLUMNS],
  'tasks-fail': ['token', ...TASK_COLUMNS],
  'tasks-release': ['token', ...TASK_COLUMNS],
  'tasks-cancel': ['canceled', 'revoked', ...TASK_COLUMNS],
  'task-retry': ['retried', 'was', ...TASK_COLUMNS],
};

/** The store's statements: how to run each, and a check of array rows' columns. */
export class Statements {
  private readonly text: Map<StatementName, string>;
  private readonly checked = new Set<StatementName>();

  private constructor(text: Map<StatementName, string>) {
    this.text = text;
  }

  /** Reads every statement of `sql/`; fails on a missing or an unknown file. */
  static load(): Statements {
    const files = loadSqlDir(SQL_DIR);
    const known = new Set<string>(NAMES);
    const unknown = [...files.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) throw new Error(`unknown statement files: ${unknown.join(', ')}`);
    const text = new Map<StatementName, string>();
    for (const name of NAMES) {
      const sql = files.get(name);
      if (sql === undefined) throw new Error(`missing statement file sql/${name}.sql`);
      text.set(name, sql);
    }
    return new Statements(text);
  }

  /** The query config that runs statement `name` with `values`. */
  config(name: StatementName, values: unknown[]): pg.QueryConfig & { name: string } {
    const text = this.text.get(name)!;
    const rowMode = ARRAY_COLUMNS[name] ? 'array' : undefined;
    return { name, text, values, ...(rowMode && { rowMode }) };
  }

  /**
   * Checks, once per statement, that an array result has the columns its mapping expects
   * (the SQL file and the code could drift apart).
   */
  check(name: StatementName, fields: readonly { name: string }[]): void {
    const expected = ARRAY_COLUMNS[name];
    if (!expected || this.checked.has(name)) return;
    const actual = fields.map((f) => f.name);
    if (actual.join() !== expected.join()) {
      throw new Error(`sql/${name}.sql must select ${expected.join(', ')}; it selects ${actual}`);
    }
    this.checked.add(name);
  }
}
