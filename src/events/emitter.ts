/**
 * The one typed event emitter of taskwire (the server, the client and the Worker use it):
 * events are a map from a namespaced name (`task:leased`, `connection:lost`) to one payload
 * object, checked by the compiler. `next` resolves with the next matching event, so tests
 * await an event instead of sleeping.
 */

type Listener<T> = (payload: T) => void;

export class TypedEmitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Calls `listener` for every `name` event until `off`. */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): this {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return this;
  }

  /** Calls `listener` for the next `name` event only. */
  once<K extends keyof E>(name: K, listener: Listener<E[K]>): this {
    const wrapped = (payload: E[K]) => {
      this.off(name, wrapped);
      listener(payload);
    };
    return this.on(name, wrapped);
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof E>(name: K, listener: Listener<E[K]>): this {
    const set = this.listeners.get(name);
    if (!set) return this;
    set.delete(listener as Listener<never>);
    if (set.size === 0) this.listeners.delete(name);
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
  listens(name: keyof E): boolean {
    return this.listeners.has(name);
  }

  /**
   * Delivers `payload` to the listeners of `name`. A throwing listener does not stop the
   * others nor the code that emitted (it may be in the middle of a state change): its error
   * is rethrown in a microtask, as an uncaught exception.
   */
  emit<K extends keyof E>(name: K, payload: E[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
