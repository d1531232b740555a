import type { Metric, Registry } from 'prom-client';

/** Options of {@link ScrapeHistogram}. */
export interface ScrapeHistogramOptions<V extends string> {
  name: string;
  help: string;
  /** Upper bounds, increasing (`+Inf` is added). */
  buckets: readonly number[];
  /** The one label, and every value it takes (fixed: no series appears at run time); omit both for an unlabelled histogram. */
  labelName?: string | undefined;
  labelValues?: readonly V[] | undefined;
  registers: readonly Registry[];
}

interface Series {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram counted in plain arrays and handed to prom-client at scrape
 * time: `observe` is an index, a short scan of the bounds and two additions — no
 * label object, no hashing — so it fits a path taken on every decision. Its label
 * values are fixed at construction (a bounded set by construction), every series is
 * exported from the start (zeros included), and it registers on a prom-client
 * `Registry` as one of its own metrics (text exposition, JSON, cluster aggregation
 * by sum).
 */
export class ScrapeHistogram<V extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #labelName: string | undefined;
  readonly #labelValues: readonly V[];
  #series: Series[];

  constructor(options: ScrapeHistogramOptions<V>) {
    const { name, help, buckets, labelName, labelValues } = options;
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) throw new TypeError(`${name}: buckets must be finite and increasing`);
    if ((labelName === undefined) !== (labelValues === undefined)) throw new TypeError(`${name}: labelName and labelValues go together`);
    this.name = name;
    this.help = help;
    this.#bounds = [...buckets];
    this.#labelName = labelName;
    this.#labelValues = labelValues ?? (['' as V] as const);
    this.#series = this.#empty();
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The index of a label value, for {@link observe}; -1 for a value not declared. */
  indexOf(value: V): number {
    return this.#labelValues.indexOf(value);
  }

  /** Counts one value under the label value at `index` (0 for an unlabelled histogram); ignores a bad index or a non-finite value. */
  observe(index: number, value: number): void {
    const series = this.#series[index];
    if (series === undefined || !Number.isFinite(value)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i += 1;
    series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** What prom-client renders: cumulative buckets, sum and count per label value. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    this.#series.forEach((series, index) => {
      const base: Record<string, string | number> = this.#labelName === undefined ? {} : { [this.#labelName]: this.#labelValues[index]! };
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i += 1) {
        cumulative += series.counts[i]!;
        values.push({ labels: { ...base, le: i < this.#bounds.length ? this.#bounds[i]! : '+Inf' }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: base, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: base, value: series.count, metricName: `${this.name}_count` });
    });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series (`registry.resetMetrics()`). */
  reset(): void {
    this.#series = this.#empty();
  }

  #empty(): Series[] {
    return this.#labelValues.map(() => ({ counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 }));
  }
}
