/**
 * Measures the round trip the servers see to PostgreSQL: `SELECT 1` over one connection,
 * 10 warm-up queries, then 50 timed; prints the median and the minimum in µs as JSON.
 * Runs inside `twbench-app` (ip netns exec) against the URL the servers get.
 *
 * Usage: node rtt-probe.ts URL
 */
import pg from 'pg';

const client = new pg.Client({
  connectionString: process.argv[2],
  connectionTimeoutMillis: 10_000,
});
await client.connect();
const micros: number[] = [];
for (let i = 0; i < 60; i++) {
  const t0 = performance.now();
  await client.query('SELECT 1');
  if (i >= 10) micros.push((performance.now() - t0) * 1000);
}
await client.end();
micros.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ medianUs: micros[25], minUs: micros[0] })}\n`);
