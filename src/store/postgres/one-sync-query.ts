/**
 * A pipeline's statements sent as one pg query: a Bind, Describe and Execute per statement,
 * then a single Sync. PostgreSQL answers the whole pipeline in one flush (one packet for a
 * small transaction) and this process reads it in one wake-up, where a Sync per statement
 * (one pg query each) made the server flush after every statement and pg build a query, a
 * result and a read timer for each.
 *
 * Every statement must already be prepared on the connection (a named statement pg parsed
 * before): the first pipelines on a connection take pg's own queries, which prepare them.
 * After a failure the server skips the rest until the Sync, so the statements after it do
 * not run (the transaction is left aborted; the store drops a connection that failed).
 */
import { createRequire } from 'node:module';
import pg from 'pg';

/** pg's own conversion of a JavaScript value to a parameter (arrays, JSON, dates, null). */
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue: (value: unknown) => string | Buffer | null;
};

/** A prepared statement to run, and how its rows are read. */
export interface Prepared {
  name: string;
  values?: unknown[];
  rowMode?: 'array';
}

/** What one statement returned: its command tag, its columns and its rows. */
export interface StatementResult {
  command: string;
  fields: pg.FieldDef[];
  rows: unknown[];
}

type Parser = (text: string) => unknown;
type TypeParsers = { getTypeParser(oid: number, format?: 'text' | 'binary'): Parser };

/** The parts of pg's connection a query writes to (not in pg's types). */
interface Wire {
  bind(config: { statement: string; values: (string | Buffer | null)[] }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string }): void;
  sync(): void;
}

/** pg's connection under a client, with the statements it has prepared. */
function parsedOn(client: pg.ClientBase): Record<string, string> | undefined {
  return (client as unknown as { connection?: { parsedStatements?: Record<string, string> } })
    .connection?.parsedStatements;
}

/** True when every statement is prepared on `client`'s connection. */
export function allPrepared(client: pg.ClientBase, steps: readonly { name?: string }[]): boolean {
  const parsed = parsedOn(client);
  return parsed !== undefined && steps.every((s) => s.name !== undefined && s.name in parsed);
}

/** The row being read: each column's parser and name. */
interface Reading {
  result: StatementResult;
  parsers: Parser[];
  array: boolean;
}

// pg's Query is the class a pipelined client accepts; its protocol handlers are overridden.
const QueryBase = pg.Query as unknown as new (text: string) => object;

class OneSyncQuery extends QueryBase {
  callback: (err: Error | null, results?: StatementResult[]) => void;
  private readonly steps: readonly Prepared[];
  private readonly types: TypeParsers;
  private readonly results: StatementResult[] = [];
  private reading: Reading | undefined;
  /** A statement failed: its error was reported, and the ReadyForQuery after it is not. */
  private failed = false;

  constructor(
    steps: readonly Prepared[],
    types: TypeParsers,
    done: (err: Error | null, results?: StatementResult[]) => void,
  ) {
    super('');
    this.steps = steps;
    this.types = types;
    this.callback = done;
  }

  /** Called by pg's client to write the query; an Error returned is reported, nothing sent. */
  submit(connection: Wire): Error | null {
    let values: (string | Buffer | null)[][];
    try {
      values = this.steps.map((s) => (s.values ?? []).map((v) => prepareValue(v)));
    } catch (err) {
      return err as Error;
    }
    for (const [i, step] of this.steps.entries()) {
      connection.bind({ statement: step.name, values: values[i]! });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '' });
    }
    connection.sync();
    return null;
  }

  handleRowDescription(msg: { fields: pg.FieldDef[] }): void {
    const step = this.steps[this.results.length];
    const result: StatementResult = { command: '', fields: msg.fields, rows: [] };
    const parsers = msg.fields.map((f) =>
      this.types.getTypeParser(f.dataTypeID, f.format === 'binary' ? 'binary' : 'text'),
    );
    this.reading = { result, parsers, array: step?.rowMode === 'array' };
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    const reading = this.reading;
    if (!reading) return;
    const { parsers, result } = reading;
    const values = msg.fields.map((text, i) => (text === null ? null : parsers[i]!(text)));
    if (reading.array) {
      result.rows.push(values);
      return;
    }
    const row: Record<string, unknown> = {};
    for (const [i, f] of result.fields.entries()) row[f.name] = values[i];
    result.rows.push(row);
  }

  handleCommandComplete(msg: { text: string }): void {
    const result = this.reading?.result ?? { command: '', fields: [], rows: [] };
    result.command = msg.text.split(' ', 1)[0] ?? '';
    this.results.push(result);
    this.reading = undefined;
  }

  /** An empty statement answers EmptyQueryResponse instead of CommandComplete. */
  handleEmptyQuery(): void {
    this.results.push({ command: '', fields: [], rows: [] });
    this.reading = undefined;
  }

  handleError(err: Error): void {
    this.failed = true;
    this.callback(err);
  }

  handleReadyForQuery(): void {
    if (this.failed) return;
    if (this.results.length !== this.steps.length) {
      this.callback(
        new Error(`a pipeline of ${this.steps.length} statements answered ${this.results.length}`),
      );
      return;
    }
    this.callback(null, this.results);
  }
}

/** Runs `steps` (all prepared on the connection) as one query; rejects with the first failure. */
export function runOneSync(
  client: pg.ClientBase,
  steps: readonly Prepared[],
  types: TypeParsers,
): Promise<StatementResult[]> {
  return new Promise((resolve, reject) => {
    const query = new OneSyncQuery(steps, types, (err, results) =>
      err ? reject(err) : resolve(results!),
    );
    void client.query(query as unknown as pg.QueryConfig);
  });
}
