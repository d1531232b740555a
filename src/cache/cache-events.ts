import type { TtlDecision } from '../policy/ttl-decision.js';
import type { StoreFailure } from '../core/store-failure.js';

/** Why a read was not a hit. */
export type MissReason = 'absent' | 'expired' | 'corrupt' | 'store_unavailable';

/** The store call a `store_error` event is about. */
export type StoreOperation = 'read' | 'write' | 'lock' | 'unlock' | 'delete';

/**
 * One thing that happened in an {@link AdaptiveCache}; `key` is the caller's key
 * (without the namespace).
 * - `hit`: a fresh entry was served; `miss`: none was, and why;
 * - `load`: the loader ran (`ok` false when it threw);
 * - `load_timeout`: the loader did not settle within `loadTimeout.hard`; its callers
 *   were released (with a `LoaderTimeoutError`, or a stale entry), and the key's single
 *   flight and cross-process lock were freed;
 * - `late_load`: a loader that had timed out settled afterwards; what it settled with
 *   was discarded (never written), so `loadTimeouts − lateLoads` loaders are still running;
 * - `stale`: the loader failed and an entry inside the stale window was served;
 * - `coalesced`: a caller waited for another caller's load instead of calling the
 *   loader (`across` says whether the other caller was in this process or another);
 * - `store_error`: a store call timed out, failed or was refused as busy (the cache failed open);
 * - `corrupt`: a value under the key could not be read (it was treated as a miss);
 * - `not_cached`: a loaded value could not be serialized, so it was returned but not stored.
 */
export type CacheEvent =
  | { type: 'hit'; key: string; ageMs: number; decision: TtlDecision }
  | { type: 'miss'; key: string; reason: MissReason; decision: TtlDecision }
  | { type: 'load'; key: string; ok: boolean; durationMs: number }
  | { type: 'load_timeout'; key: string; timeoutMs: number }
  | { type: 'late_load'; key: string; ok: boolean; durationMs: number }
  | { type: 'stale'; key: string; ageMs: number; error: unknown }
  | { type: 'coalesced'; key: string; across: 'process' | 'processes' }
  | { type: 'store_error'; key: string; operation: StoreOperation; failure: StoreFailure }
  | { type: 'corrupt'; key: string; reason: string }
  | { type: 'not_cached'; key: string; reason: string };

/**
 * The `hooks` option of {@link AdaptiveCache}: a shorthand for subscribing to
 * `cache.onCacheEvent` at construction. A hook that throws is ignored, so
 * observability never changes what the cache serves.
 */
export interface CacheHooks {
  onCacheEvent?(event: CacheEvent): void;
}

/** Counters of one {@link AdaptiveCache} since it was built (see {@link AdaptiveCache.stats}). */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Loader calls, failed and timed-out ones included. */
  loads: number;
  /** Loader calls that threw or rejected (timeouts are counted in `loadTimeouts`). */
  loadErrors: number;
  /** Loader calls abandoned after `loadTimeout.hard`. */
  loadTimeouts: number;
  /** Abandoned loader calls that settled afterwards (their result discarded). */
  lateLoads: number;
  staleServed: number;
  /** Callers that shared another caller's load, in this process or another. */
  coalescedWaits: number;
  storeErrors: number;
  corrupt: number;
  notCached: number;
}

/** A zeroed {@link CacheStats}. */
export function emptyStats(): CacheStats {
  return { hits: 0, misses: 0, loads: 0, loadErrors: 0, loadTimeouts: 0, lateLoads: 0, staleServed: 0, coalescedWaits: 0, storeErrors: 0, corrupt: 0, notCached: 0 };
}

/** Adds one event to the counters. */
export function countEvent(stats: CacheStats, event: CacheEvent): void {
  switch (event.type) {
    case 'hit':
      stats.hits += 1;
      return;
    case 'miss':
      stats.misses += 1;
      return;
    case 'load':
      stats.loads += 1;
      if (!event.ok) stats.loadErrors += 1;
      return;
    case 'load_timeout':
      stats.loads += 1;
      stats.loadTimeouts += 1;
      return;
    case 'late_load':
      stats.lateLoads += 1;
      return;
    case 'stale':
      stats.staleServed += 1;
      return;
    case 'coalesced':
      stats.coalescedWaits += 1;
      return;
    case 'store_error':
      stats.storeErrors += 1;
      return;
    case 'corrupt':
      stats.corrupt += 1;
      return;
    case 'not_cached':
      stats.notCached += 1;
      return;
  }
}
