/**
 * V8's tiering thresholds for the long-running commands (`server`, `worker`). A fresh Node
 * process runs its hot path in the interpreter and baseline code for its first few thousand
 * tasks: TurboFan waits until a function has used up an interrupt budget (66 KB of bytecode
 * executed) and, after any of its inline caches changed, 500 more calls. A task server's hot
 * path is many small functions called once per task, so a fresh server's latency falls for
 * ~2,500 tasks (docs/benchmarks.md, "Fresh and long-running"). Lower thresholds let TurboFan
 * optimize them after a few hundred tasks; what it compiles is the same code.
 */
import { setFlagsFromString } from 'node:v8';

/** The flags set, unless TASKWIRE_V8_FLAGS replaces them (`TASKWIRE_V8_FLAGS=` sets none). */
export const TIER_UP_FLAGS = '--minimum-invocations-after-ic-update=50 --interrupt-budget=16384';

/** Sets the tiering flags for this process; call before the hot path first runs. */
export function tierUpSooner(env: NodeJS.ProcessEnv = process.env): string {
  const flags = env.TASKWIRE_V8_FLAGS ?? TIER_UP_FLAGS;
  for (const flag of flags.split(' ').filter(Boolean)) setFlagsFromString(flag);
  return flags;
}
