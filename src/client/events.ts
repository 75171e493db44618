/** A small typed event emitter: events are a map from name to payload. */

type Listener<T> = (payload: T) => void;

/** Emits events whose names and payloads are fixed by the map `E`. */
export class TypedEmitter<E extends object> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Calls `listener` for every `name` event until `off`. */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): this {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return this;
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof E>(name: K, listener: Listener<E[K]>): this {
    this.#listeners.get(name)?.delete(listener as Listener<never>);
    return this;
  }

  /** Resolves with the payload of the next `name` event that passes `filter`. */
  next<K extends keyof E>(name: K, filter?: (payload: E[K]) => boolean): Promise<E[K]> {
    return new Promise((resolve) => {
      const listener = (payload: E[K]) => {
        if (filter && !filter(payload)) return;
        this.off(name, listener);
        resolve(payload);
      };
      this.on(name, listener);
    });
  }

  /** Whether `name` has listeners: a hot path checks it before building a payload nobody reads. */
  protected listens(name: keyof E): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  /** Delivers `payload` to the listeners of `name`; a throwing listener does not stop the others. */
  protected emit<K extends keyof E>(name: K, payload: E[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (err) {
        // A listener's bug must not break the connection state machine that emitted.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
