/**
 * The CLI's one signal handler (only the CLI installs any): the first SIGINT or SIGTERM asks
 * the command to stop (a server or worker drains, a waiting command detaches), a second one
 * exits at once. Under npm (`npm start`, `npx taskwire …`) the command may also stop when
 * the npm process that started it is gone: npx runs it through `sh -c`, which does not pass
 * a signal on, so killing npx would otherwise leave the server running.
 */

/** How a second signal ends the process (testable; the real one exits). */
export type ForceExit = (signal: NodeJS.Signals) => void;

const exitNow: ForceExit = () => process.exit(1);

/** Why a command is asked to stop: a signal, or the npm process that started it is gone. */
export type StopReason = NodeJS.Signals | 'parent-exited';

/** How often a command started by npm checks that its npm parent is still there. */
const PARENT_CHECK_MS = 500;

/** Whether npm started this process (`npm start`, `npm run`, `npx`): npm sets npm_command. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_command !== undefined;
}

/**
 * Calls `stop` on the first SIGINT/SIGTERM and `force` on the next; with `watchParent`,
 * also calls `stop` once the parent process is gone (this process was re-parented). Returns
 * what removes the handlers (a command that ended on its own).
 */
export function onStopSignals(
  stop: (reason: StopReason) => void,
  force: ForceExit = exitNow,
  opts: { watchParent?: boolean } = {},
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
  const parent = process.ppid;
  const watch = opts.watchParent
    ? setInterval(() => {
        if (process.ppid === parent || stopping) return;
        stopping = true;
        clearInterval(watch);
        stop('parent-exited');
      }, PARENT_CHECK_MS).unref()
    : undefined;
  return () => {
    clearInterval(watch);
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

/**
 * Calls `reload` on every SIGHUP (the server reads its files again: the auth file, the TLS
 * certificate and key) instead of letting the signal end the process. Returns the remover.
 */
export function onReloadSignal(reload: () => void): () => void {
  const handler = () => reload();
  process.on('SIGHUP', handler);
  return () => void process.off('SIGHUP', handler);
}
