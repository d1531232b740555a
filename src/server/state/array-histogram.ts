import type { Metric, Registry } from 'prom-client';

/** One label combination of an {@link ArrayHistogram}: an observation is a bucket search and three additions, nothing hashed or allocated. */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; the last slot is past the largest bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(labels: Readonly<Record<string, string>>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Counts one value (a value on a bound belongs to that bucket: `le`). */
  observe(value: number): void {
    const bounds = this.#bounds;
    let slot = 0;
    while (slot < bounds.length && value > bounds[slot]!) slot += 1;
    this.counts[slot]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** Back to no observation. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** What prom-client's registry reads of a metric at a scrape (the shape of its own histograms' `get()`). */
interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A Prometheus histogram whose observations land in plain arrays, one
 * {@link HistogramSeries} per label combination, and are handed to prom-client only
 * when a registry renders it. prom-client's `Histogram.observe` hashes the labels of
 * every observation; a caller of this one looks its series up once (per route, per
 * store call kind) and observes on it directly, which matters on a path taken tens of
 * thousands of times a second. Registered like any metric (prom-client's own cluster
 * aggregation registers metrics of this kind), it renders the same text and JSON as a
 * prom-client `Histogram` of the same name, labels and buckets, and is summed across
 * cluster workers the same way.
 */
export class ArrayHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly L[];
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(config: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[]; registers: readonly Registry[] }) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = Object.freeze([...config.labelNames]);
    this.#bounds = Object.freeze([...config.buckets].sort((a, b) => a - b));
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these labels, created at its first use; keep it to observe without a lookup. */
  series(labels: Readonly<Record<L, string>>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      series = new HistogramSeries(Object.freeze(own), this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  /** Observes one value (a lookup of its series by labels; hot paths keep the series instead). */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.series(labels).observe(value);
  }

  /** Read by prom-client's registry at a scrape: cumulative buckets, `+Inf`, sum and count per series. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.#series.values()) {
      let cumulative = 0;
      for (let slot = 0; slot < this.#bounds.length; slot += 1) {
        cumulative += series.counts[slot]!;
        values.push({ labels: { le: this.#bounds[slot]!, ...series.labels }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series in place (prom-client's `registry.resetMetrics()`): callers keep the series they hold. */
  reset(): void {
    for (const series of this.#series.values()) series.reset();
  }
}
