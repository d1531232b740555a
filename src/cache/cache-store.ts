/** How {@link CacheStore.invalidateTags} treats what a tag's index names. */
export interface InvalidateTagsOptions {
  /**
   * Only index members starting with this prefix (the cache's namespace) are
   * tombstoned; any other member (a corrupt or hostile index naming the panic start,
   * a lock, another app's key) is left alone and passed to `onForeign`.
   */
  keyPrefix?: string | undefined;
  /** Called once per index member outside `keyPrefix`, which was not touched. */
  onForeign?: ((member: string) => void) | undefined;
  /**
   * A retry of an invalidation whose first attempt failed: a tag already taken under
   * this `id` is finished (the entries it had moved aside are tombstoned) instead of
   * skipped, and −1 is never returned.
   */
  resume?: boolean | undefined;
}

/**
 * One cache entry as a store keeps it: the serialized value, the instant it was
 * written, in ms on the store's own clock (Redis `TIME` for Redis), so every worker
 * on every host measures the same age, and the tags it was written with.
 */
export interface StoredEntry {
  payload: string;
  writtenAtMs: number;
  /** The entry's tags (empty when none), so any process that reads it can drop it on `invalidateTags`. */
  tags: readonly string[];
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

/** Conditions of one {@link CacheStore.write}. */
export interface StoreWriteOptions {
  /** Tags stored with the entry (validated by the cache). Default none. */
  tags?: readonly string[] | undefined;
  /** The index key of each tag, in the same order (see {@link tagIndexKey}); the entry is added to each before it is written. */
  tagKeys?: readonly string[] | undefined;
  /**
   * The store's time (ms, as in {@link StoreRead.nowMs}) of a read made before the
   * value was loaded. The write is refused (`invalidated`) when the key or one of
   * the tags was invalidated at or after it: the value may predate the invalidation.
   * Absent: the write is refused whenever an invalidation of the key or a tag is
   * still remembered (the load cannot be placed against it).
   */
  loadedAfterMs?: number | undefined;
}

/** What a write did: stored (with its stamp), or refused and why. */
export type StoreWriteOutcome =
  | { written: true; writtenAtMs: number }
  | {
      written: false;
      /** `invalidated`: the key or a tag was invalidated after `loadedAfterMs`; `too_old`: the load took longer than the store remembers invalidations. */
      reason: 'invalidated' | 'too_old';
    };

/** Handlers of a {@link CacheStore.subscribe} subscription. */
export interface StoreSubscriberHandlers {
  /** A message arrived on one of the channels. Runs synchronously on the connection's event. */
  message(channel: string, message: string): void;
  /** The subscription became healthy (subscribed to every channel since the last connect) or stopped being so. */
  health(healthy: boolean): void;
}

/** Options of {@link CacheStore.subscribe}. */
export interface StoreSubscriberOptions {
  /** How often the subscriber connection is pinged, ms. */
  heartbeatMs: number;
  /** A ping unanswered this long marks the subscription unhealthy and reconnects, ms. */
  timeoutMs: number;
}

/** A live subscription (a connection of its own). */
export interface StoreSubscription {
  /** True while subscribed to every channel since the last (re)connect and the last ping was answered in time. */
  readonly healthy: boolean;
  /** Unsubscribes and closes the connection. */
  close(): Promise<void>;
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
  /** The entry under `key` and the store's current time, in one round trip. A deleted (tombstoned) key reads as no entry. */
  read(key: string): Promise<StoreRead>;
  /**
   * Stores `payload` stamped with the store's time, indexed under its tags first, unless an
   * invalidation raced the load (see {@link StoreWriteOptions.loadedAfterMs}); it
   * disappears after `expiryMs` (always ≥ 1).
   */
  write(key: string, payload: string, expiryMs: number, options?: StoreWriteOptions): Promise<StoreWriteOutcome>;
  /**
   * Removes an entry, leaving a short-lived tombstone so that a load which began
   * before cannot write its older value back; true when there was an entry.
   */
  delete(key: string): Promise<boolean>;
  /**
   * Removes every entry indexed under one of `tagKeys` (the tags' index keys, see
   * {@link tagIndexKey}), leaving tombstones as {@link delete} does, and returns how
   * many index members it went through. `id` names the invalidation: a tag already invalidated under the
   * same id is skipped (several processes handling one bus message do the work once); −1 when every tag
   * had been, so the caller knows another process did (or does) the work.
   * Costs O(entries of the tags). Absent on a store without tags.
   */
  invalidateTags?(tagKeys: readonly string[], id: string, options?: InvalidateTagsOptions): Promise<number>;
  /** Takes a short lock (`SET NX PX`); true when this caller holds it now. */
  tryLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases a lock if `token` still holds it (compare-and-delete). */
  unlock(key: string, token: string): Promise<void>;
  /** Publishes `message` on a pub/sub channel. Absent on a store that cannot reach other processes. */
  publish?(channel: string, message: string): Promise<void>;
  /** Subscribes to channels on a connection of the subscription's own. Absent on a store that cannot reach other processes. */
  subscribe?(channels: readonly string[], handlers: StoreSubscriberHandlers, options: StoreSubscriberOptions): StoreSubscription;
}

/**
 * How long a store remembers an invalidation (the tombstone of a deleted key or
 * an invalidated tag), ms. A write whose load began longer ago than this cannot be
 * checked against invalidations and is refused (`too_old`).
 */
export const TOMBSTONE_MS = 120_000;
