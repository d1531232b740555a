/**
 * One cache entry as a store keeps it: the serialized value and the instant it was
 * written, in ms on the store's own clock (Redis `TIME` for Redis), so every worker
 * on every host measures the same age.
 */
export interface StoredEntry {
  payload: string;
  writtenAtMs: number;
}

/**
 * What one read of a store returns: the entry (or null) and the store's clock at
 * the read, from the same round trip, so `nowMs - writtenAtMs` is an age that
 * no local clock skew can distort.
 */
export interface StoreRead {
  entry: StoredEntry | null;
  nowMs: number;
  /** Why a value found under the key could not be read as an entry (it is then a miss), or null. */
  corrupt: string | null;
}

/**
 * Where {@link AdaptiveCache} keeps its entries. A store only moves bytes and
 * stamps writes with its own clock; freshness is decided by the cache at read time.
 * Keys arrive already namespaced. Implementations: {@link RedisCacheStore},
 * {@link MemoryCacheStore}.
 */
export interface CacheStore {
  /** A short name for logs and metrics (`redis`, `memory`). */
  readonly kind: string;
  /** Whether locks are visible to other processes (a shared store), so cross-process coalescing makes sense. */
  readonly shared: boolean;
  /** The entry under `key` and the store's current time, in one round trip. */
  read(key: string): Promise<StoreRead>;
  /** Stores `payload` stamped with the store's time; it disappears after `expiryMs` (always ≥ 1). */
  write(key: string, payload: string, expiryMs: number): Promise<void>;
  /** Removes an entry; true when there was one. */
  delete(key: string): Promise<boolean>;
  /** Takes a short lock (`SET NX PX`); true when this caller holds it now. */
  tryLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases a lock if `token` still holds it (compare-and-delete). */
  unlock(key: string, token: string): Promise<void>;
}
