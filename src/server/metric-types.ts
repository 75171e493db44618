/**
 * Counters and histograms for the per-task metrics, cheaper than prom-client's own: an
 * update is one or two Map lookups on the label values and allocates nothing once the
 * series exists, where prom-client's validates and hashes a label object each time. They
 * plug into a prom-client Registry (`registerMetric`: it reads `get()`), so the exposition
 * stays prom-client's. Registered in metrics.ts, like every metric. At most two labels.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string | number>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** Series by their first label value, then their second ('' when there is none). */
class Series<S> {
  private readonly byFirst = new Map<string, Map<string, S>>();

  constructor(private readonly make: (a: string, b: string) => S) {}

  at(a: string, b: string): S {
    let inner = this.byFirst.get(a);
    if (!inner) {
      inner = new Map();
      this.byFirst.set(a, inner);
    }
    let s = inner.get(b);
    if (!s) {
      s = this.make(a, b);
      inner.set(b, s);
    }
    return s;
  }

  *all(): IterableIterator<S> {
    for (const inner of this.byFirst.values()) yield* inner.values();
  }
}

abstract class Family {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    if (labelNames.length > 2) throw new RangeError(`${name}: at most two labels`);
    registry.registerMetric(this as unknown as Metric);
  }

  protected labelsOf(a: string, b: string): Labels {
    const [first, second] = this.labelNames;
    return { ...(first && { [first]: a }), ...(second && { [second]: b }) };
  }
}

export class FastCounter extends Family {
  readonly type = 'counter';
  private readonly series = new Series<Value>((a, b) => ({
    labels: this.labelsOf(a, b),
    value: 0,
  }));

  /** Adds `n` to the series of label values `a` (and `b`). */
  inc(a = '', b = '', n = 1): void {
    this.series.at(a, b).value += n;
  }

  get() {
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values: [...this.series.all()] };
  }
}

interface Buckets {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram extends Family {
  readonly type = 'histogram';
  private readonly series = new Series<Buckets>((a, b) => ({
    labels: this.labelsOf(a, b),
    counts: this.bounds.map(() => 0),
    sum: 0,
    count: 0,
  }));

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  /** Observes `v` in the series of label value `a` ('' without labels). */
  observe(a: string, v: number): void {
    const b = this.series.at(a, '');
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    if (i < bounds.length) b.counts[i]!++;
    b.sum += v;
    b.count++;
  }

  get() {
    const { name, help, type, aggregator } = this;
    const values: Value[] = [];
    const bucket = `${name}_bucket`;
    for (const b of this.series.all()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += b.counts[i]!;
        values.push({ labels: { ...b.labels, le }, value: acc, metricName: bucket });
      });
      values.push({ labels: { ...b.labels, le: '+Inf' }, value: b.count, metricName: bucket });
      values.push({ labels: b.labels, value: b.sum, metricName: `${name}_sum` });
      values.push({ labels: b.labels, value: b.count, metricName: `${name}_count` });
    }
    return { name, help, type, aggregator, values };
  }
}

/** Slots of InFlightLeases: a power of two, above any count of leases in flight at once. */
const SLOTS = 1 << 16;

/**
 * When each lease in flight began, its type label and whether its task has one unit, kept
 * in typed arrays indexed by token (tokens ascend): no object per lease for the garbage
 * collector to carry from the lease to its report. A lease still in flight after 65,536
 * later ones is forgotten (its slot reused): its report then counts without a run time.
 */
export class InFlightLeases {
  private readonly tokens = new Float64Array(SLOTS).fill(-1);
  private readonly at = new Float64Array(SLOTS);
  private readonly label = new Uint16Array(SLOTS);
  private readonly single = new Uint8Array(SLOTS);
  private readonly labels: string[] = [];
  private readonly labelIds = new Map<string, number>();

  add(token: number, label: string, singleUnit: boolean, at: number): void {
    const i = token & (SLOTS - 1);
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labels.push(label) - 1;
      this.labelIds.set(label, id);
    }
    this.tokens[i] = token;
    this.at[i] = at;
    this.label[i] = id;
    this.single[i] = singleUnit ? 1 : 0;
  }

  /** Takes the lease out; undefined when it is unknown (or was forgotten). */
  take(token: number): { label: string; singleUnit: boolean; at: number } | undefined {
    const i = token & (SLOTS - 1);
    if (this.tokens[i] !== token) return undefined;
    this.tokens[i] = -1;
    return {
      label: this.labels[this.label[i]!]!,
      singleUnit: this.single[i] === 1,
      at: this.at[i]!,
    };
  }
}
