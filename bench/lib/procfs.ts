/** A process's memory and CPU time, read from /proc (Linux). */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { Sample } from './types.ts';

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/PID/stat's times (`getconf CLK_TCK`, nearly always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      clockTicks = Number.NaN;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

export interface Memory {
  /** Resident set size now (VmRSS), bytes. */
  rss: number;
  /** Peak resident set size (VmHWM), bytes. */
  peak: number;
}

/** The resident memory of a process, now and at its peak. */
export async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** The fields of /proc/PID/stat after the command name (field 3 of the line is index 0). */
async function statFields(pid: number): Promise<string[]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count after it.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Clock ticks of fields `at` of a stat line (indexes after the name), summed. */
function ticks(fields: string[], pid: number, ...at: number[]): number {
  const values = at.map((i) => Number(fields[i]));
  if (values.some((v) => !Number.isFinite(v))) {
    throw new Error(`cannot read the CPU times in /proc/${pid}/stat`);
  }
  return values.reduce((a, b) => a + b, 0);
}

/** CPU time the process used so far, user + system, in seconds. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  // Fields 14 and 15 of the whole line (utime, stime) are 11 and 12 after the name.
  return ticks(await statFields(pid), pid, 11, 12) / ticksPerSecond();
}

/**
 * CPU time, in seconds, of a PostgreSQL cluster on this machine, found from one of its
 * backends (`pg_backend_pid()`): its postmaster, every child still running (backends, WAL
 * writer, checkpointer, autovacuum) and every child that exited (the postmaster's cutime
 * and cstime, which include a backend once its connection closed). Undefined when the
 * backend is not a process of this machine (a remote database) or cannot be read.
 */
export async function clusterCpuSeconds(backendPid: number): Promise<number | undefined> {
  try {
    const postmaster = Number((await statFields(backendPid))[1]);
    let total = ticks(await statFields(postmaster), postmaster, 11, 12, 13, 14);
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const fields = await statFields(pid).catch(() => undefined);
      if (fields && Number(fields[1]) === postmaster) total += ticks(fields, pid, 11, 12);
    }
    return total / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Bytes as MB (10^6), for reports. */
export function megabytes(bytes: number): number {
  return bytes / 1e6;
}

/** The CPU time of a set of processes from the moment it is made to each `read()`. */
export interface CpuMeter {
  /** Seconds of CPU (user + system) the processes used since the meter was made, summed. */
  read(): Promise<number>;
}

/** Starts metering the CPU time of the processes `pids` (all still running). */
export async function meterCpu(pids: readonly number[]): Promise<CpuMeter> {
  const total = async () => (await Promise.all(pids.map(cpuSecondsOf))).reduce((a, b) => a + b, 0);
  const start = await total();
  return { read: async () => (await total()) - start };
}

/** A CPU-per-task sample: `seconds` of CPU spent on `tasks` tasks, in µs per task. */
export function cpuPerTask(name: string, seconds: number, tasks: number): Sample {
  return { name, unit: 'µs/task', value: (seconds * 1e6) / tasks, higherIsBetter: false };
}
