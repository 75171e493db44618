/**
 * The CLI's one signal handler (only the CLI installs any): the first SIGINT or SIGTERM asks
 * the command to stop (a server or worker drains, a waiting command detaches), a second one
 * exits at once.
 */

/** How a second signal ends the process (testable; the real one exits). */
export type ForceExit = (signal: NodeJS.Signals) => void;

const exitNow: ForceExit = () => process.exit(1);

/**
 * Calls `stop` on the first SIGINT/SIGTERM and `force` on the next; returns what removes
 * the handlers (a command that ended on its own).
 */
export function onStopSignals(
  stop: (signal: NodeJS.Signals) => void,
  force: ForceExit = exitNow,
): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      force(signal);
      return;
    }
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Runs `fn` with an AbortSignal that the first SIGINT/SIGTERM aborts. */
export async function untilStopSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const remove = onStopSignals(() => controller.abort());
  try {
    return await fn(controller.signal);
  } finally {
    remove();
  }
}
