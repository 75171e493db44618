/**
 * What one request line at the limits costs the event loop (docs/security.md, "Limits"): for
 * worst-case lines of `--max-line-bytes` (1 MiB by default), the time of the complexity scan
 * that runs before the parse (checkJsonLimits), of JSON.parse, and of the params check
 * (checkParams), each the best of several runs in this process. While one line is handled,
 * every other connection waits: these are the stalls a hostile line can cause.
 *
 *   node --import tsx bench/limits-cost.ts [--bytes 1048576] [--keys 10000] [--depth 64]
 */
import { Command } from 'commander';
import { checkJsonLimits } from '../src/protocol/framing/json-limits.ts';
import { checkParams } from '../src/protocol/schemas.ts';

function best(runs: number, fn: () => unknown): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** A submit whose data fills the line to `bytes`, shaped by `fill` (a JSON text of that size). */
function submitLine(data: string): string {
  return `{"jsonrpc":"2.0","id":1,"method":"submit","params":{"type":"flip","data":${data}}}`;
}

function lines(bytes: number, limit: number, depth: number): Record<string, string> {
  // The envelope's own names (jsonrpc, id, method, params, type, data) count too.
  const keys = limit - 6;
  const room = bytes - submitLine('').length;
  const zerosOf = (size: number) =>
    `[${Array.from({ length: Math.max(1, Math.floor((size - 2) / 2)) }, () => '0').join(',')}]`;
  // `keys` distinct names, one per small object (the worst shape measured: each is a new
  // object shape from the root), then zeros to the full size.
  const names = Array.from({ length: keys }, (_, i) => `{"k${i}":0}`).join(',');
  const oneEach = `[${names},${zerosOf(room - names.length - 3)}]`;
  // `keys` distinct names in one object (a dictionary-mode object), padded with a string.
  const members = Array.from({ length: keys - 1 }, (_, i) => `"k${i}":0`).join(',');
  const oneObject = `{${members},"p":"${'x'.repeat(Math.max(0, room - members.length - 8))}"}`;
  // Small objects that repeat one key name, as many as fit: many keys, one name.
  const repeated = `[${Array.from({ length: Math.floor((room - 2) / 8) }, () => '{"a":0}').join(',')}]`;
  const nested = `${'['.repeat(depth - 3)}${JSON.stringify('x'.repeat(room - 2 * depth))}${']'.repeat(depth - 3)}`;
  return {
    'one string': submitLine(JSON.stringify('x'.repeat(room - 2))),
    [`nested ${depth} deep`]: submitLine(nested),
    'zeros (no keys)': submitLine(zerosOf(room)),
    [`${keys} key names, one per object, then zeros`]: submitLine(oneEach),
    [`${keys} key names in one object`]: submitLine(oneObject),
    'small objects repeating one key': submitLine(repeated),
  };
}

const program = new Command('limits-cost')
  .option('--bytes <n>', 'line size', (v) => Number(v), 1024 * 1024)
  .option('--keys <n>', 'the key limit', (v) => Number(v), 10_000)
  .option('--depth <n>', 'the depth limit', (v) => Number(v), 64)
  .option('--runs <n>', 'runs of each, the best kept', (v) => Number(v), 7)
  .action((opts: { bytes: number; keys: number; depth: number; runs: number }) => {
    const limits = { maxDepth: opts.depth, maxKeys: opts.keys };
    console.log(`line of ${opts.bytes} bytes, limits: depth ${opts.depth}, keys ${opts.keys}`);
    console.log('shape | bytes | scan ms | JSON.parse ms | checkParams ms | total ms');
    for (const [name, line] of Object.entries(lines(opts.bytes, opts.keys, opts.depth))) {
      const buf = Buffer.from(line);
      const problem = checkJsonLimits(buf, limits);
      if (problem) throw new Error(`${name}: over the limits (${JSON.stringify(problem)})`);
      const scan = best(opts.runs, () => checkJsonLimits(buf, limits));
      const parse = best(opts.runs, () => JSON.parse(line));
      const msg = JSON.parse(line) as { params: unknown };
      const check = best(opts.runs, () => checkParams('submit', msg.params));
      const total = scan + parse + check;
      const f = (ms: number) => ms.toFixed(2);
      console.log(`${name} | ${buf.length} | ${f(scan)} | ${f(parse)} | ${f(check)} | ${f(total)}`);
    }
    // A line over the key limit costs only the scan up to where it passed it.
    const over = Buffer.from(
      submitLine(`[${Array.from({ length: opts.keys * 10 }, (_, i) => `{"k${i}":0}`).join(',')}]`),
    );
    const refused = best(opts.runs, () => checkJsonLimits(over, limits));
    const parse = best(opts.runs, () => JSON.parse(over.toString()));
    console.log(
      `a line of ${over.length} bytes with ${opts.keys * 10} key names: refused after a scan of ${refused.toFixed(2)} ms; JSON.parse would take ${parse.toFixed(1)} ms`,
    );
  });

program.parse();
