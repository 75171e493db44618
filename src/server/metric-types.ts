/**
 * Counters and histograms for the per-task metrics, cheaper than prom-client's own: an
 * increment or an observation is a Map lookup on the label values, where prom-client's
 * validates and hashes a label object each time (measured: several µs a task over the
 * five per-task updates). They plug into a prom-client Registry (`registerMetric`: it reads
 * `get()`), so the exposition and everything else stay prom-client's. Registered in
 * metrics.ts, like every metric.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string | number>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** A key for the label values (a NUL never appears in them: it joins them). */
const keyOf = (values: readonly string[]) => (values.length === 1 ? values[0]! : values.join('\0'));

abstract class Family<S> {
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected labelsOf(values: readonly string[]): Labels {
    return Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!]));
  }

  protected entry(values: readonly string[], make: () => S): S {
    const key = keyOf(values);
    let s = this.series.get(key);
    if (!s) {
      s = make();
      this.series.set(key, s);
    }
    return s;
  }
}

export class FastCounter extends Family<Value> {
  readonly type = 'counter';

  inc(values: readonly string[], n = 1): void {
    this.entry(values, () => ({ labels: this.labelsOf(values), value: 0 })).value += n;
  }

  get() {
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values: [...this.series.values()] };
  }
}

interface Buckets {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram extends Family<Buckets> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  observe(values: readonly string[], v: number): void {
    const b = this.entry(values, () => ({
      labels: this.labelsOf(values),
      counts: this.bounds.map(() => 0),
      sum: 0,
      count: 0,
    }));
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    if (i < this.bounds.length) b.counts[i]!++;
    b.sum += v;
    b.count++;
  }

  get() {
    const { name, help, type, aggregator } = this;
    const values: Value[] = [];
    for (const b of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += b.counts[i]!;
        values.push({ labels: { ...b.labels, le }, value: acc, metricName: `${name}_bucket` });
      });
      values.push({
        labels: { ...b.labels, le: '+Inf' },
        value: b.count,
        metricName: `${name}_bucket`,
      });
      values.push({ labels: b.labels, value: b.sum, metricName: `${name}_sum` });
      values.push({ labels: b.labels, value: b.count, metricName: `${name}_count` });
    }
    return { name, help, type, aggregator, values };
  }
}
