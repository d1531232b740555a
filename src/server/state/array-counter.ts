import { Counter, type Registry } from 'prom-client';

/** One label combination of an {@link ArrayCounter}: counting is one addition. */
export class CounterCell {
  readonly labels: Readonly<Record<string, string>>;
  value = 0;

  constructor(labels: Readonly<Record<string, string>>) {
    this.labels = labels;
  }
}

/**
 * A Prometheus counter counted in plain numbers, one {@link CounterCell} per label
 * combination, and handed to a prom-client `Counter` of the same name by its
 * `collect()` callback when a registry renders it. prom-client's `Counter.inc`
 * hashes and validates the labels of every increment; a caller of this one looks its
 * cell up once (or through its own index) and adds to it, which matters on a path
 * taken for every decision. The rendered text, the JSON and the cluster aggregation
 * are prom-client's own.
 */
export class ArrayCounter<L extends string> {
  readonly labelNames: readonly L[];
  readonly #cells = new Map<string, CounterCell>();

  constructor(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    this.labelNames = Object.freeze([...config.labelNames]);
    const cells = this.#cells;
    new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: this.labelNames,
      registers: config.registers,
      collect() {
        this.reset();
        for (const cell of cells.values()) if (cell.value > 0) this.inc(cell.labels as Partial<Record<L, string>>, cell.value);
      },
    });
  }

  /** The cell of these labels, created at its first use; keep it to count without a lookup. */
  cell(labels: Readonly<Record<L, string>>): CounterCell {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let cell = this.#cells.get(key);
    if (!cell) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      cell = new CounterCell(Object.freeze(own));
      this.#cells.set(key, cell);
    }
    return cell;
  }

  /** Adds `by` (default 1) to the cell of these labels. */
  inc(labels: Readonly<Record<L, string>>, by = 1): void {
    this.cell(labels).value += by;
  }
}
