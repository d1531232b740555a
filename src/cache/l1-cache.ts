import { LRUCache } from 'lru-cache';

/**
 * One in-process copy of a store entry. Its age is known as an upper bound without
 * any clock but this process's monotonic one: `ageAtFillMs` is the entry's age on
 * the store's clock at the read (or write) that filled the copy, and `filledAt` is
 * `performance.now()` when that command was *sent* — before the store read its
 * clock — so `ageAtFillMs + (performance.now() − filledAt)` is never below the true
 * age on the store's clock.
 */
export interface L1Entry {
  value: unknown;
  writtenAtMs: number;
  ageAtFillMs: number;
  filledAt: number;
  tags: readonly string[];
}

/** Most invalidations remembered per kind (keys, tags) to refuse fills that raced them. */
const MAX_REMEMBERED = 10_000;

/**
 * The bounded in-process tier of {@link AdaptiveCache}: an LRU of decoded copies
 * with a tag index, plus a memory of recent invalidations so that a store read
 * sent before an invalidation was received cannot fill a copy afterwards (a reply
 * and a pub/sub message travel on different connections, in no guaranteed order).
 */
export class L1Cache {
  readonly #entries: LRUCache<string, L1Entry>;
  /** Tag → data keys of the copies carrying it. Never more members than copies × tags per copy. */
  readonly #byTag = new Map<string, Set<string>>();
  /** Data key or tag → `performance.now()` of its latest invalidation, oldest first. */
  readonly #keyInvalidations = new Map<string, number>();
  readonly #tagInvalidations = new Map<string, number>();
  /** A fill whose read was sent at or before this instant is refused (a flush, or invalidations forgotten). */
  #floor = Number.NEGATIVE_INFINITY;

  constructor(max: number) {
    this.#entries = new LRUCache<string, L1Entry>({
      max,
      dispose: (entry, key) => this.#unindex(key, entry.tags),
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The copy under a data key. Recency is not refreshed (`peek`): eviction is by fill
   * order, which costs nothing on the hot path, and copies of short-TTL entries are
   * refilled often anyway.
   */
  get(dataKey: string): L1Entry | undefined {
    return this.#entries.peek(dataKey);
  }

  /**
   * Keeps a copy, unless the key or one of its tags was invalidated at or after
   * `entry.filledAt` (the read it comes from may have been answered before the
   * invalidation took effect). Returns whether it was kept.
   */
  fill(dataKey: string, entry: L1Entry): boolean {
    if (!this.#fillable(dataKey, entry.tags, entry.filledAt)) return false;
    this.#entries.set(dataKey, entry);
    for (const tag of entry.tags) {
      let keys = this.#byTag.get(tag);
      if (!keys) this.#byTag.set(tag, (keys = new Set()));
      keys.add(dataKey);
    }
    return true;
  }

  /** Whether a value read or loaded since `since` may still be kept (no invalidation of the key or its tags since). */
  #fillable(dataKey: string, tags: readonly string[], since: number): boolean {
    if (since <= this.#floor) return false;
    const keyAt = this.#keyInvalidations.get(dataKey);
    if (keyAt !== undefined && keyAt >= since) return false;
    for (const tag of tags) {
      const at = this.#tagInvalidations.get(tag);
      if (at !== undefined && at >= since) return false;
    }
    return true;
  }

  /** Drops a copy that is of no use now (too old for the decision); not an invalidation. */
  drop(dataKey: string): void {
    this.#entries.delete(dataKey);
  }

  /** Drops the copy of a key and remembers when, so that reads sent before now cannot fill it again. */
  invalidateKey(dataKey: string, now: number): boolean {
    this.#remember(this.#keyInvalidations, dataKey, now);
    return this.#entries.delete(dataKey);
  }

  /** Drops every copy carrying a tag (O(copies of the tag)) and remembers when. Returns how many were dropped. */
  invalidateTag(tag: string, now: number): number {
    this.#remember(this.#tagInvalidations, tag, now);
    const keys = this.#byTag.get(tag);
    if (!keys) return 0;
    let dropped = 0;
    for (const key of [...keys]) if (this.#entries.delete(key)) dropped += 1;
    this.#byTag.delete(tag);
    return dropped;
  }

  /** Drops every copy, and refuses fills from reads sent before `now`. */
  flush(now: number): void {
    this.#floor = Math.max(this.#floor, now);
    this.#entries.clear();
    this.#byTag.clear();
    this.#keyInvalidations.clear();
    this.#tagInvalidations.clear();
  }

  /** Records an invalidation; past the bound the oldest is forgotten, and fills from before it are refused wholesale. */
  #remember(map: Map<string, number>, name: string, now: number): void {
    map.delete(name);
    map.set(name, now);
    if (map.size <= MAX_REMEMBERED) return;
    const [oldest, at] = map.entries().next().value as [string, number];
    map.delete(oldest);
    this.#floor = Math.max(this.#floor, at);
  }

  #unindex(dataKey: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#byTag.get(tag);
      if (!keys) continue;
      keys.delete(dataKey);
      if (keys.size === 0) this.#byTag.delete(tag);
    }
  }
}
