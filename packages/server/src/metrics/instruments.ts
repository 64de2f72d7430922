/**
 * Hot-path instruments that prom-client's registry formats. prom-client's own Counter and
 * Histogram build a label object, validate and hash it on every `inc`/`observe`; these bind
 * a child per label-value tuple once (`child('ws', 'text')`) and then only add to numbers,
 * so a message costs a few array writes. A registry reads them through the same `get()`
 * shape prom-client's metrics have.
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry needs from a metric to format it. */
interface Collectable {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: 'sum' }>;
  reset(): void;
}

/** One time series (or one histogram's buckets) for a fixed tuple of label values. */
abstract class Children<C> {
  private readonly children = new Map<string, { labels: Labels; child: C }>();

  protected constructor(
    private readonly labelNames: readonly string[],
    private readonly make: () => C,
  ) {}

  /** The child for these label values (created on first use, then the same object). Bind it once, outside the hot path. */
  child(...values: string[]): C {
    if (values.length !== this.labelNames.length) throw new Error(`expected ${this.labelNames.length} label values, got ${values.length}`);
    const key = values.join('\u0001');
    let c = this.children.get(key);
    if (!c) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i]!;
      });
      c = { labels, child: this.make() };
      this.children.set(key, c);
    }
    return c.child;
  }

  protected each(): Iterable<{ labels: Labels; child: C }> {
    return this.children.values();
  }
}

export class CounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class GaugeChild extends CounterChild {
  dec(n = 1): void {
    this.value -= n;
  }
  set(v: number): void {
    this.value = v;
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    if (i < b.length) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** Where it is served; none: counted but never shown (metrics off). */
  registry?: Registry;
}

abstract class Metric<C> extends Children<C> implements Collectable {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(o: MetricOptions, make: () => C) {
    super(o.labelNames ?? [], make);
    this.name = o.name;
    this.help = o.help;
    o.registry?.registerMetric(this as never);
  }

  protected abstract values(): Value[];

  async get() {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: 'sum' as const };
  }

  reset(): void {}
}

/** A metric of one number per label set (counter, gauge); without labels its one child exists from the start. */
abstract class ScalarMetric<C extends CounterChild> extends Metric<C> {
  constructor(o: MetricOptions, make: () => C) {
    super(o, make);
    if (!o.labelNames?.length) this.child();
  }
  protected values(): Value[] {
    return [...this.each()].map(({ labels, child }) => ({ labels, value: child.value }));
  }
}

export class Counter extends ScalarMetric<CounterChild> {
  readonly type = 'counter';
  constructor(o: MetricOptions) {
    super(o, () => new CounterChild());
  }
}

export class Gauge extends ScalarMetric<GaugeChild> {
  readonly type = 'gauge';
  constructor(o: MetricOptions) {
    super(o, () => new GaugeChild());
  }
}

export class Histogram extends Metric<HistogramChild> {
  readonly type = 'histogram';
  constructor(o: MetricOptions & { buckets: readonly number[] }) {
    const bounds = [...o.buckets].sort((a, b) => a - b);
    super(o, () => new HistogramChild(bounds));
    this.bounds = bounds;
    if (!o.labelNames?.length) this.child();
  }
  private readonly bounds: readonly number[];
  protected values(): Value[] {
    const out: Value[] = [];
    for (const { labels, child } of this.each()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += child.counts[i]!;
        out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: String(le) }, value: acc });
      });
      out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: child.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: child.count });
    }
    return out;
  }
}
