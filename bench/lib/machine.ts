/** What the figures were measured on, for the JSON output. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  os: string;
  totalMemoryMB: number;
  /** Versions of the systems measured, where they could be found out. */
  versions: { taskwire?: string; beanstalkd?: string; redis?: string };
}

/** The first line a command prints, or undefined when it cannot run. */
function firstLine(command: string, args: string[]): string | undefined {
  try {
    const out = execFileSync(command, args, {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

function taskwireVersion(): string | undefined {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

/** Cores, CPU model, Node and OS versions, memory, and the versions of the systems. */
export function machineInfo(): Machine {
  const cpus = os.cpus();
  const beanstalkd = firstLine('beanstalkd', ['-v'])?.replace(/^beanstalkd\s+/, '');
  const redis = /v=(\S+)/.exec(firstLine('redis-server', ['--version']) ?? '')?.[1];
  const taskwire = taskwireVersion();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    totalMemoryMB: Math.round(os.totalmem() / 1e6),
    versions: {
      ...(taskwire ? { taskwire } : {}),
      ...(beanstalkd ? { beanstalkd } : {}),
      ...(redis ? { redis } : {}),
    },
  };
}
