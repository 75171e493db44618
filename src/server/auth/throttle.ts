/**
 * Slows down guessing: after a failed authentication from an address, the next attempt from
 * it is checked only after a delay that doubles with each failure (`baseMs`, 2×, 4×… up to
 * `maxMs`). Attempts made at once from one address queue behind each other, so opening many
 * connections does not guess faster. An address is forgiven `forgiveMs` after its last
 * failure, and a success forgives it at once. At most `maxAddresses` are remembered (the
 * oldest go first), so a flood of addresses cannot grow memory.
 */

export interface ThrottleOptions {
  baseMs: number;
  maxMs: number;
  forgiveMs: number;
  maxAddresses: number;
  now: () => number;
}

export const THROTTLE_DEFAULTS = {
  baseMs: 100,
  maxMs: 5000,
  forgiveMs: 60_000,
  maxAddresses: 10_000,
};

interface Entry {
  failures: number;
  /** When the next attempt may be checked. */
  nextAt: number;
  lastFailure: number;
}

/** The address part of `host:port` or `[v6]:port`, or of a bare host. */
export function addressOf(remote: string): string {
  const v6 = /^\[(.*)\]:\d+$/.exec(remote);
  if (v6) return v6[1]!;
  const i = remote.lastIndexOf(':');
  if (i > 0 && remote.indexOf(':') === i) return remote.slice(0, i);
  return remote;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: ThrottleOptions;

  constructor(opts: Partial<ThrottleOptions> = {}) {
    this.opts = { ...THROTTLE_DEFAULTS, now: Date.now, ...opts };
  }

  /** Addresses remembered (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * How long an attempt from `address` must wait before it is checked (0 for an address
   * with no recent failure). Reserves its turn: the next attempt waits after this one.
   */
  delay(address: string): number {
    const e = this.live(address);
    if (!e) return 0;
    const now = this.opts.now();
    const at = Math.max(now, e.nextAt);
    e.nextAt = at + this.step(e.failures);
    return at - now;
  }

  /** An attempt from `address` failed; returns how many failures it has now. */
  failed(address: string): number {
    const now = this.opts.now();
    let e = this.live(address);
    if (e) this.entries.delete(address);
    else {
      e = { failures: 0, nextAt: now, lastFailure: now };
      if (this.entries.size >= this.opts.maxAddresses) {
        this.entries.delete(this.entries.keys().next().value!);
      }
    }
    e.failures++;
    e.lastFailure = now;
    e.nextAt = Math.max(e.nextAt, now + this.step(e.failures));
    // Re-inserted: the Map's order is then the order of last failures, oldest first.
    this.entries.set(address, e);
    return e.failures;
  }

  /** An attempt from `address` succeeded: it is forgiven. */
  succeeded(address: string): void {
    this.entries.delete(address);
  }

  private step(failures: number): number {
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.max(0, failures - 1));
  }

  private live(address: string): Entry | undefined {
    const e = this.entries.get(address);
    if (e && this.opts.now() - e.lastFailure > this.opts.forgiveMs) {
      this.entries.delete(address);
      return undefined;
    }
    return e;
  }
}
