/** `--only`: which workloads a list of names picks. */
import type { Workload } from './types.ts';

/**
 * Whether `token` picks the workload: a prefix of its id (`taskwire/fsync`), of its last id
 * segment (`drain` picks drain-w1 and drain-w4) or of a sample name it measures
 * (`backlog-rss`).
 */
export function picks(workload: Workload, token: string): boolean {
  const family = workload.id.split('/').at(-1) ?? '';
  return (
    workload.id.startsWith(token) ||
    family.startsWith(token) ||
    (workload.measures ?? []).some((name) => name.startsWith(token))
  );
}

/** The workloads picked by any of the tokens; all of them without tokens. */
export function selectWorkloads(workloads: readonly Workload[], tokens: readonly string[]) {
  if (tokens.length === 0) return [...workloads];
  return workloads.filter((w) => tokens.some((t) => picks(w, t)));
}
