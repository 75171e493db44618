/**
 * Which task types may have ready tasks. A type a claim found empty is exhausted until work
 * of that type may have appeared (a submit, a lease given back, a retry due): no claim asks
 * for it meanwhile, so idle workers cost no queries, and with every type exhausted a batch
 * looks at no worker at all (there may be 10,000 of them).
 */
export class ReadyTypes {
  private readonly exhausted = new Set<string>();
  /** How many workers run each type. */
  private readonly workers = new Map<string, number>();

  addWorker(types: readonly string[]): void {
    for (const t of types) this.workers.set(t, (this.workers.get(t) ?? 0) + 1);
  }

  removeWorker(types: readonly string[]): void {
    for (const t of types) {
      const n = (this.workers.get(t) ?? 1) - 1;
      if (n > 0) this.workers.set(t, n);
      else this.workers.delete(t);
    }
  }

  /** Work of these types (of any type when not given) may have appeared. */
  appeared(types?: Iterable<string>): void {
    if (types === undefined) this.exhausted.clear();
    else for (const t of types) this.exhausted.delete(t);
  }

  /** A claim for these types found no more than it leased. */
  exhaust(types: readonly string[]): void {
    for (const t of types) this.exhausted.add(t);
  }

  /** The types a claim for a worker of `types` should ask for (none: skip the worker). */
  claimable(types: readonly string[]): readonly string[] {
    return types.some((t) => this.exhausted.has(t))
      ? types.filter((t) => !this.exhausted.has(t))
      : types;
  }

  /** Whether some of these types may have ready tasks. */
  any(types: readonly string[]): boolean {
    return types.some((t) => !this.exhausted.has(t));
  }

  /** Whether every type some worker runs is exhausted. */
  get none(): boolean {
    if (this.exhausted.size < this.workers.size) return false;
    for (const t of this.workers.keys()) if (!this.exhausted.has(t)) return false;
    return true;
  }
}
