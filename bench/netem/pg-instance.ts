/**
 * A throwaway PostgreSQL for `--netem`, inside the `twbench-db` namespace: the machine's
 * cluster listens on 127.0.0.1 only, and changing its `listen_addresses` means restarting a
 * server others use, so the bench makes its own with the same binaries
 * (/usr/lib/postgresql/N/bin): `initdb` into a temporary folder on the same disk as the
 * machine's cluster (/var/tmp), run as the `postgres` user (setpriv), listening on the veth
 * address only and on a Unix socket in that folder (Unix sockets are not network-namespaced:
 * the bench reaches it there for its checks). Trust auth, initdb's defaults otherwise
 * (synchronous_commit on, fsync on: every commit waits for its WAL flush, as on the
 * machine's cluster). Stopped (fast shutdown, then SIGKILL) and deleted when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { type Proc, spawnProc } from '../lib/processes.ts';
import { sleep, within } from '../lib/wait.ts';
import { DB_ADDR, DB_NS, sh } from './netns.ts';

const TEMP_PARENT = '/var/tmp';
const DIR_PREFIX = 'twbench-pg-';
const PORT = 5432;
const START_TIMEOUT_MS = 60_000;

/** The binaries folder of the newest PostgreSQL installed (Debian's layout). */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** What is missing for the throwaway instance, one line each. */
export function checkPgInstance(): string[] {
  const problems: string[] = [];
  if (!pgBinDir()) {
    problems.push(
      'no PostgreSQL server binaries in /usr/lib/postgresql/N/bin: apt-get install postgresql',
    );
  }
  if (!userIds('postgres'))
    problems.push('no `postgres` user to run PostgreSQL as (it refuses root)');
  return problems;
}

/** Removes the data folders a crashed run left (their servers died with the namespace). */
export function removeStaleDirs(): void {
  for (const name of readdirSync(TEMP_PARENT)) {
    if (name.startsWith(DIR_PREFIX))
      rmSync(path.join(TEMP_PARENT, name), { recursive: true, force: true });
  }
}

export interface PgInstance {
  /** The admin URL the bench inside `twbench-app` uses: the veth address. */
  url: string;
  /** The same server over its Unix socket, for the bench outside the namespaces. */
  socketDir: string;
  version: string;
  stop(): Promise<void>;
}

/** initdb, then `postgres` in the db namespace; resolves once it answers on its socket. */
export async function startPgInstance(signal: AbortSignal): Promise<PgInstance> {
  const bin = pgBinDir()!;
  const ids = userIds('postgres')!;
  const dir = await mkdtemp(path.join(TEMP_PARENT, DIR_PREFIX));
  chownSync(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const asPostgres = ['--reuid', String(ids.uid), '--regid', String(ids.gid), '--init-groups'];
  let proc: Proc | undefined;
  const stop = async () => {
    if (proc?.running) {
      proc.kill('SIGINT'); // fast shutdown
      await within(proc.exited, 15_000, 'PostgreSQL stopping').catch(async () => {
        proc?.kill('SIGKILL');
        await within(proc!.exited, 10_000, 'PostgreSQL exiting').catch(() => undefined);
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    sh('setpriv', [
      ...asPostgres,
      path.join(bin, 'initdb'),
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '--no-instructions',
    ]);
    // initdb's pg_hba.conf trusts loopback and the socket only: the pair's /30 too.
    appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${DB_ADDR}/30 trust\n`);
    proc = spawnProc(
      'ip',
      [
        'netns',
        'exec',
        DB_NS,
        'setpriv',
        ...asPostgres,
        path.join(bin, 'postgres'),
        '-D',
        data,
        '-c',
        `listen_addresses=${DB_ADDR}`,
        '-c',
        `port=${PORT}`,
        '-c',
        `unix_socket_directories=${dir}`,
      ],
      { name: 'postgres (twbench-db)' },
    );
    const version = await waitAnswering(dir, proc, signal);
    return {
      url: `postgres://postgres@${DB_ADDR}:${PORT}/postgres`,
      socketDir: dir,
      version,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitAnswering(dir: string, proc: Proc, signal: AbortSignal): Promise<string> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw new Error(proc.describeExit(await proc.exited));
    const client = new pg.Client({ host: dir, port: PORT, user: 'postgres', database: 'postgres' });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>(
        `SELECT current_setting('server_version') AS v`,
      );
      return rows[0]!.v;
    } catch (error) {
      if (performance.now() > deadline)
        throw new Error(`PostgreSQL did not answer within 60 s: ${error}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100, signal);
  }
}
