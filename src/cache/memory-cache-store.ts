import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { parseOptions } from '../core/parse-options.js';
import { InvalidInputError } from '../core/errors.js';
import { TOMBSTONE_MS, type CacheStore, type InvalidateTagsOptions, type StoreRead, type StoreWriteOptions, type StoreWriteOutcome } from './cache-store.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept (least recently used dropped first); also bounds tombstones and tag indexes. Default 10,000. */
  max?: number | undefined;
  /** Optional bound on the total characters of stored payloads; an entry larger than it is not kept. */
  maxSize?: number | undefined;
  /** Time source in ms since the epoch; inject one to test ages without waiting. Default `Date.now`. */
  now?: (() => number) | undefined;
}

const optionsSchema = z.strictObject({
  max: z.number().int().min(1).max(100_000_000).default(10_000),
  maxSize: z.number().int().min(1).optional(),
  now: z.custom<() => number>((v) => v === undefined || typeof v === 'function', { message: 'must be a function returning ms since the epoch' }).optional(),
});

interface MemoryEntry {
  payload: string;
  writtenAtMs: number;
  expiresAtMs: number;
  tags: readonly string[];
}

/**
 * A bounded in-process {@link CacheStore} (lru-cache), for a single process or
 * tests. Its clock is the injected `now`, so ages are exact in tests; it cannot
 * share entries or locks between processes. Deletes and tag invalidations leave
 * tombstones as the Redis store does, so a load that raced one is not written back.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly shared = false;
  readonly #entries: LRUCache<string, MemoryEntry>;
  readonly #locks: LRUCache<string, { token: string; expiresAtMs: number }>;
  /** When a key or a tag index was last invalidated (store time), and by which invalidation. */
  readonly #tombstones: LRUCache<string, { at: number; id: string }>;
  /** Tag index key → entry keys indexed under it. */
  readonly #tags: LRUCache<string, Set<string>>;
  readonly #now: () => number;

  /** @throws InvalidConfigError for bad options. */
  constructor(options: MemoryCacheStoreOptions = {}) {
    const resolved = parseOptions(optionsSchema, options, 'MemoryCacheStore');
    this.#now = resolved.now ?? Date.now;
    this.#entries = new LRUCache<string, MemoryEntry>(
      resolved.maxSize === undefined
        ? { max: resolved.max }
        : { max: resolved.max, maxSize: resolved.maxSize, sizeCalculation: (entry) => Math.max(1, entry.payload.length) },
    );
    this.#locks = new LRUCache({ max: resolved.max });
    this.#tombstones = new LRUCache({ max: resolved.max });
    this.#tags = new LRUCache({ max: resolved.max });
  }

  /** Entries currently held (expired ones included until they are read or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  async read(key: string): Promise<StoreRead> {
    const nowMs = this.#clock();
    const entry = this.#entries.get(key);
    if (!entry) return { entry: null, nowMs, corrupt: null };
    if (entry.expiresAtMs <= nowMs) {
      this.#entries.delete(key);
      return { entry: null, nowMs, corrupt: null };
    }
    return { entry: { payload: entry.payload, writtenAtMs: entry.writtenAtMs, tags: entry.tags }, nowMs, corrupt: null };
  }

  async write(key: string, payload: string, expiryMs: number, options: StoreWriteOptions = {}): Promise<StoreWriteOutcome> {
    if (!Number.isFinite(expiryMs) || expiryMs < 1) throw new InvalidInputError('expiryMs', 'must be a number of ms ≥ 1', expiryMs);
    const nowMs = this.#clock();
    const tagKeys = options.tagKeys ?? [];
    const after = options.loadedAfterMs;
    if (after !== undefined && nowMs - after >= TOMBSTONE_MS) return { written: false, reason: 'too_old' };
    for (const invalidated of [key, ...tagKeys]) {
      const at = this.#tombstone(invalidated, nowMs);
      if (at !== null && (after === undefined || at >= after)) return { written: false, reason: 'invalidated' };
    }
    for (const tagKey of tagKeys) {
      let members = this.#tags.get(tagKey);
      if (!members) this.#tags.set(tagKey, (members = new Set()));
      members.add(key);
      // Keys whose entry is gone leave the index now and then, so a tag never invalidated stays bounded.
      if (members.size % 1024 === 0) for (const member of members) if (!this.#entries.has(member)) members.delete(member);
    }
    this.#entries.set(key, { payload, writtenAtMs: nowMs, expiresAtMs: nowMs + expiryMs, tags: options.tags ?? [] });
    return { written: true, writtenAtMs: nowMs };
  }

  async delete(key: string): Promise<boolean> {
    const nowMs = this.#clock();
    const entry = this.#entries.get(key);
    this.#tombstones.set(key, { at: nowMs, id: '' });
    this.#entries.delete(key);
    return entry !== undefined && entry.expiresAtMs > nowMs;
  }

  async invalidateTags(tagKeys: readonly string[], id: string, options: InvalidateTagsOptions = {}): Promise<number> {
    const { keyPrefix = '', onForeign, resume = false } = options;
    const nowMs = this.#clock();
    let removed = 0;
    let handled = 0;
    for (const tagKey of tagKeys) {
      const previous = this.#tombstones.get(tagKey);
      if (previous && previous.id === id && nowMs - previous.at < TOMBSTONE_MS) {
        handled += 1; // this invalidation was done already (in one step: nothing is left to resume)
        continue;
      }
      this.#tombstones.set(tagKey, { at: nowMs, id });
      const members = this.#tags.get(tagKey);
      this.#tags.delete(tagKey);
      for (const key of members ?? []) {
        if (!key.startsWith(keyPrefix)) {
          onForeign?.(key);
          continue;
        }
        this.#tombstones.set(key, { at: nowMs, id });
        this.#entries.delete(key);
        removed += 1;
      }
    }
    return !resume && handled === tagKeys.length && tagKeys.length > 0 ? -1 : removed;
  }


  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const nowMs = this.#clock();
    const held = this.#locks.get(key);
    if (held && held.expiresAtMs > nowMs) return false;
    this.#locks.set(key, { token, expiresAtMs: nowMs + ttlMs });
    return true;
  }

  async unlock(key: string, token: string): Promise<void> {
    if (this.#locks.get(key)?.token === token) this.#locks.delete(key);
  }

  /** When `key` was last invalidated, if that is still remembered (within the tombstones' life). */
  #tombstone(key: string, nowMs: number): number | null {
    const tombstone = this.#tombstones.get(key);
    if (tombstone === undefined) return null;
    if (nowMs - tombstone.at >= TOMBSTONE_MS) {
      this.#tombstones.delete(key);
      return null;
    }
    return tombstone.at;
  }

  #clock(): number {
    const now = this.#now();
    if (!Number.isFinite(now)) throw new InvalidInputError('now()', 'must return a finite number of ms', now);
    return now;
  }
}
