/** Waiting for running work to finish, up to a grace period. */

/** Resolves true when every promise settled within `graceMs`, false when time ran out. */
export async function settledWithin(work: Promise<unknown>[], graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  try {
    return await Promise.race([Promise.allSettled(work).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
