/**
 * The floor under the latency measurement on this machine: one-line NDJSON round trips over
 * loopback between bare Node processes that do nothing else, one at a time, as the latency
 * workload sends its tasks.
 *  - two processes: client → echo → client (the built-in executor's path has this shape);
 *  - three processes: client → relay → echo → relay → client (the remote worker's path:
 *    client → server → worker → server → client).
 * Each chain is fresh processes, like a run of the benchmark; the round trips after the
 * warm-up are the samples, and the report shows their percentiles and how many took over
 * 1 ms. What taskwire adds to these is its own cost; what they show is the machine's.
 *
 *   node --import tsx bench/latency-floor.ts [--samples 2000] [--warmup 200] [--runs 3]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { percentile } from './lib/stats.ts';

const LINE = '{"jsonrpc":"2.0","id":1,"result":{"id":"1","status":"done"}}\n';

/** The child side: `echo` answers each chunk with itself; `relay PORT` forwards both ways. */
async function child(role: string, upstreamPort?: number): Promise<void> {
  const upstream =
    upstreamPort === undefined ? undefined : net.connect(upstreamPort, '127.0.0.1').setNoDelay();
  if (upstream) await once(upstream, 'connect');
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    if (!upstream) {
      socket.on('data', (chunk) => socket.write(chunk));
      return;
    }
    socket.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => socket.write(chunk));
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as net.AddressInfo;
    process.send?.({ role, port: address.port });
  });
  process.on('disconnect', () => process.exit(0));
}

async function spawnChild(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(process.argv[1]!, args, { execArgv: process.execArgv });
  const [message] = (await once(proc, 'message')) as [{ port: number }];
  return { proc, port: message.port };
}

/** Round trip times in µs through a fresh chain of `processes` (2 or 3), warm-up left out. */
async function chain(processes: 2 | 3, warmup: number, samples: number): Promise<number[]> {
  const kids: ChildProcess[] = [];
  try {
    const echo = await spawnChild(['--child', 'echo']);
    kids.push(echo.proc);
    let port = echo.port;
    if (processes === 3) {
      const relay = await spawnChild(['--child', 'relay', String(echo.port)]);
      kids.push(relay.proc);
      port = relay.port;
    }
    const socket = net.connect(port, '127.0.0.1').setNoDelay();
    await once(socket, 'connect');
    const micros: number[] = [];
    for (let i = 0; i < warmup + samples; i++) {
      const started = performance.now();
      const answered = once(socket, 'data');
      socket.write(LINE);
      await answered;
      if (i >= warmup) micros.push((performance.now() - started) * 1000);
    }
    socket.destroy();
    return micros;
  } finally {
    for (const kid of kids) kid.kill('SIGKILL');
  }
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const program = new Command('latency-floor')
  .description('bare Node NDJSON round trips over loopback through 2 and 3 processes')
  .option('--samples <n>', 'round trips measured per run', positive, 2000)
  .option('--warmup <n>', 'round trips before the measured ones', positive, 200)
  .option('--runs <n>', 'fresh chains of each length', positive, 3)
  .option('--child <role...>', 'internal: run as a chain member')
  .action(async (opts: { samples: number; warmup: number; runs: number; child?: string[] }) => {
    if (opts.child) {
      const [role, upstream] = opts.child;
      await child(role!, upstream === undefined ? undefined : Number(upstream));
      return;
    }
    console.log(
      `${opts.runs} runs per chain, ${opts.warmup} warm-up + ${opts.samples} samples each`,
    );
    for (const processes of [2, 3] as const) {
      for (let run = 1; run <= opts.runs; run++) {
        const micros = await chain(processes, opts.warmup, opts.samples);
        const p = (q: number) => Math.round(percentile(micros, q));
        const over = micros.filter((us) => us > 1000).length;
        console.log(
          `${processes} processes, run ${run}: p50 ${p(50)} µs, p99 ${p(99)} µs, ` +
            `p99.9 ${p(99.9)} µs; ${over} of ${micros.length} over 1 ms`,
        );
      }
    }
  });

await program.parseAsync();
