/** What a {@link ScopeTable} links its entries with: fields on the entry itself, so a lookup allocates nothing. */
export interface ScopeLinks<T> {
  readonly scope: string;
  newer: T | null;
  older: T | null;
  /** The table's epoch when the entry was last moved to the front. */
  epoch: number;
}

/**
 * The scopes a breaker remembers, at most `max`, least recently used dropped
 * first: a Map for lookups and a list threaded through the entries (most
 * recently used first) for the order. A lookup moves its entry to the front at
 * most once per epoch (the breaker starts one per sync round, so a scope asked a
 * thousand times in a round moves once; with `advance` on every lookup it is an
 * exact LRU), with a few field writes and no allocation. The sync loop walks the
 * list from the front and stops at the first scope idle for too long. Leaner than
 * a general-purpose cache on the hot path: no options object, no expiry, no
 * diagnostics per decision.
 */
export class ScopeTable<T extends ScopeLinks<T>> {
  /** Most entries kept. */
  readonly max: number;
  readonly #map = new Map<string, T>();
  #newest: T | null = null;
  #oldest: T | null = null;
  #epoch = 0;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The current epoch (see {@link advance}). */
  get epoch(): number {
    return this.#epoch;
  }

  /** Starts a new epoch: the next lookup of each entry moves it to the front again. */
  advance(): void {
    this.#epoch += 1;
  }

  /** The entry of `scope`, moved to the front unless it already was in this epoch; or undefined. */
  get(scope: unknown): T | undefined {
    const entry = this.#map.get(scope as string);
    if (entry !== undefined && entry.epoch !== this.#epoch) {
      entry.epoch = this.#epoch;
      if (entry !== this.#newest) {
        this.#unlink(entry);
        this.#pushNewest(entry);
      }
    }
    return entry;
  }

  /** The entry of `scope`, without touching the order; or undefined. */
  peek(scope: string): T | undefined {
    return this.#map.get(scope);
  }

  /**
   * Adds a new entry as the most recently used, dropping the least recently used one past
   * `max`; returns the entry that left the table (that one, or one of the same scope it
   * replaced), if any, so its owner can let go of what it holds.
   */
  add(entry: T): T | undefined {
    const existing = this.#map.get(entry.scope);
    if (existing !== undefined) this.#unlink(existing);
    this.#map.set(entry.scope, entry);
    entry.epoch = this.#epoch;
    this.#pushNewest(entry);
    if (this.#map.size > this.max && this.#oldest !== null) {
      const dropped = this.#oldest;
      this.#unlink(dropped);
      this.#map.delete(dropped.scope);
      return dropped;
    }
    return existing;
  }

  /** The most recently used entry; follow `older` from it for the others, most recent first. */
  get newest(): T | null {
    return this.#newest;
  }

  clear(): void {
    this.#map.clear();
    this.#newest = null;
    this.#oldest = null;
  }

  #unlink(entry: T): void {
    if (entry.newer !== null) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    if (entry.older !== null) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    entry.newer = null;
    entry.older = null;
  }

  #pushNewest(entry: T): void {
    entry.older = this.#newest;
    entry.newer = null;
    if (this.#newest !== null) this.#newest.newer = entry;
    this.#newest = entry;
    this.#oldest ??= entry;
  }
}
