import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { parseOptions } from '../core/parse-options.js';
import { InvalidInputError } from '../core/errors.js';
import type { CacheStore, StoreRead } from './cache-store.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept (least recently used dropped first). Default 10,000. */
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
}

/**
 * A bounded in-process {@link CacheStore} (lru-cache), for a single process or
 * tests. Its clock is the injected `now`, so ages are exact in tests; it cannot
 * share entries or locks between processes.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly shared = false;
  readonly #entries: LRUCache<string, MemoryEntry>;
  readonly #locks: LRUCache<string, { token: string; expiresAtMs: number }>;
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
    return { entry: { payload: entry.payload, writtenAtMs: entry.writtenAtMs }, nowMs, corrupt: null };
  }

  async write(key: string, payload: string, expiryMs: number): Promise<void> {
    if (!Number.isFinite(expiryMs) || expiryMs < 1) throw new InvalidInputError('expiryMs', 'must be a number of ms ≥ 1', expiryMs);
    const nowMs = this.#clock();
    this.#entries.set(key, { payload, writtenAtMs: nowMs, expiresAtMs: nowMs + expiryMs });
  }

  async delete(key: string): Promise<boolean> {
    return this.#entries.delete(key);
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

  #clock(): number {
    const now = this.#now();
    if (!Number.isFinite(now)) throw new InvalidInputError('now()', 'must return a finite number of ms', now);
    return now;
  }
}
