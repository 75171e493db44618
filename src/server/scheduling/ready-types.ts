/**
 * Which task types may have ready tasks. A type a claim found empty is exhausted until work
 * of that type may have appeared (a submit, a lease given back, a retry due): no claim asks
 * for it meanwhile, so idle workers cost no queries, and with every type exhausted a batch
 * looks at no worker at all (there may be 10,000 of them).
 */
export class ReadyTypes {
  private readonly exhausted = new Set<string>();
  /** Types no claim asks for (an operator paused them), whatever their work. */
  private paused: ReadonlySet<string> = new Set();
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

  /** Pauses exactly these types; returns those that were paused and are not any more. */
  setPaused(types: ReadonlySet<string>): string[] {
    const resumed = [...this.paused].filter((t) => !types.has(t));
    this.paused = new Set(types);
    return resumed;
  }

  /** These types without the paused ones. */
  unpaused(types: readonly string[]): readonly string[] {
    const { paused } = this;
    return paused.size > 0 && types.some((t) => paused.has(t))
      ? types.filter((t) => !paused.has(t))
      : types;
  }

  /** The types a claim for a worker of `types` should ask for (none: skip the worker). */
  claimable(types: readonly string[]): readonly string[] {
    const open = this.paused.size > 0 ? this.unpaused(types) : types;
    return open.some((t) => this.exhausted.has(t))
      ? open.filter((t) => !this.exhausted.has(t))
      : open;
  }

  /** Whether some of these types may have ready tasks (and are not paused). */
  any(types: readonly string[]): boolean {
    return types.some((t) => !this.exhausted.has(t) && !this.paused.has(t));
  }

  /** Whether every type some worker runs is exhausted (or paused). */
  get none(): boolean {
    if (this.exhausted.size + this.paused.size < this.workers.size) return false;
    for (const t of this.workers.keys()) {
      if (!this.exhausted.has(t) && !this.paused.has(t)) return false;
    }
    return true;
  }
}
