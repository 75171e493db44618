/**
 * `taskwire server --warm-up N`: before the real server starts, N tasks run through a
 * throwaway server of the same code (SQLite in a temporary directory, port 0 on loopback),
 * half on its built-in executor and half on a worker in this process, so that V8 has
 * compiled the hot path (framing, dispatch, committer, store, scheduler) before the first
 * real client connects. A fresh server otherwise spends its first few thousand tasks with
 * TurboFan compile jobs competing for the CPU, which is what its p99 shows (benchmarks.md).
 * Nothing of the throwaway server survives: its directory is removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../client/client.ts';
import { createLogger } from '../server/logger.ts';
import { TaskwireServer } from '../server/server.ts';
import { SqliteStore } from '../store/sqlite/store.ts';
import { Worker } from '../worker/worker.ts';

/** The type the in-process worker runs (the built-in half uses `flip`). */
const REMOTE_TYPE = 'warm-up';

/** Runs `runs` tasks through a throwaway server and resolves once it is gone. */
export async function warmUp(runs: number): Promise<{ runs: number; ms: number }> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-warm-up-'));
  const server = new TaskwireServer({
    host: '127.0.0.1',
    port: 0,
    store: new SqliteStore({ path: join(dir, 'warm-up.db') }),
    delayScale: 0,
    logger: createLogger('silent', 'json'),
  });
  try {
    const { port } = await server.start();
    const client = await connect({ port, reconnect: false });
    const worker = new Worker({ port, name: 'warm-up' }).handle(REMOTE_TYPE, (task) =>
      String(task.data),
    );
    try {
      await worker.start();
      for (let i = 0; i < runs; i++) {
        await client.run(i % 2 === 0 ? 'flip' : REMOTE_TYPE, `warm-up ${i}`);
      }
    } finally {
      await worker.close();
      await client.close();
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { runs, ms: Math.round(performance.now() - started) };
}
