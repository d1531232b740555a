import type { TtlDecision } from '../policy/ttl-decision.js';
import type { StoreFailure } from '../core/store-failure.js';

/** Why a read was not a hit (`invalidated`: the entry carries a market tag whose invalidation is under way). */
export type MissReason = 'absent' | 'expired' | 'corrupt' | 'store_unavailable' | 'invalidated';

/** The store call a `store_error` event is about. */
export type StoreOperation = 'read' | 'write' | 'lock' | 'unlock' | 'delete' | 'invalidate' | 'publish';

/** How a background refresh (refresh ahead) ended: stored, failed, timed out, found a fresher entry already stored, or not started (no load slot). */
export type RefreshOutcome = 'ok' | 'error' | 'timeout' | 'shared' | 'skipped';

/** What backend protection did with a load past `maxConcurrentLoads`: a stale entry stood in, it waited for a slot, or it was refused. */
export type OverloadOutcome = 'stale' | 'waited' | 'rejected';

/**
 * Why market-tagged entries were voided wholesale: a table of market changes
 * overflowed (`unsettled_full`, `pending_full`), market-change messages came past
 * `bus.maxMessagesPerSecond` (`market_flood`), a change's store side kept failing
 * (`retries_exhausted`), or the publisher itself overflowed and said so (`publisher_overflow`).
 */
export type MarketOverflowReason = (typeof MARKET_OVERFLOW_REASONS)[number];

/**
 * Every {@link MarketOverflowReason}, in one list: what a metrics integration shows at 0
 * before the first overflow, so that the first one is a rise an alert sees, not a new series.
 */
export const MARKET_OVERFLOW_REASONS = Object.freeze(['unsettled_full', 'pending_full', 'market_flood', 'retries_exhausted', 'publisher_overflow'] as const);

/** Where an invalidation came from: this process's call, another process's (the bus), or the odds feed (market changes). */
export type InvalidationSource = 'local' | 'bus' | 'market';

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
 * - `not_cached`: a loaded value was returned but not stored: it could not be
 *   serialized, or an invalidation of its key or tags came while it loaded (or the load
 *   outlived what the store remembers of invalidations);
 * - `refresh`: a background reload (refresh ahead) ended; never thrown to a caller;
 * - `soft_timeout`: a load passed `loadTimeout.soft`; its callers got a stale entry and the load goes on in the background;
 * - `overload`: a load past `maxConcurrentLoads` was served stale, waited for a slot, or was refused (`OverloadedError`);
 * - `invalidate`: keys or tags were invalidated, and `dropped` in-process copies with them;
 * - `bus`: the invalidation bus went down (the in-process tier is bypassed and flushed) or came back;
 * - `market_overflow`: a market change could not be tracked one by one; instead every entry
 *   carrying a `market:` tag written before now is a miss (and in-process copies were flushed),
 *   so a flood costs loads, never a stale value;
 * - `bus_rejected`: a bus message was ignored: malformed (`malformed`), or past `bus.maxMessagesPerSecond`
 *   (`overflow`: the in-process tier was flushed and bypassed for a second instead).
 */
export type CacheEvent =
  | { type: 'hit'; key: string; ageMs: number; decision: TtlDecision; l1: boolean }
  | { type: 'miss'; key: string; reason: MissReason; decision: TtlDecision }
  | { type: 'load'; key: string; ok: boolean; durationMs: number }
  | { type: 'load_timeout'; key: string; timeoutMs: number }
  | { type: 'late_load'; key: string; ok: boolean; durationMs: number }
  | { type: 'stale'; key: string; ageMs: number; error: unknown }
  | { type: 'coalesced'; key: string; across: 'process' | 'processes' }
  | { type: 'store_error'; key: string; operation: StoreOperation; failure: StoreFailure }
  | { type: 'corrupt'; key: string; reason: string }
  | { type: 'not_cached'; key: string; reason: string }
  | { type: 'refresh'; key: string; outcome: RefreshOutcome; durationMs: number }
  | { type: 'soft_timeout'; key: string; timeoutMs: number }
  | { type: 'overload'; key: string; scope: string; outcome: OverloadOutcome; inFlight: number }
  | { type: 'invalidate'; source: InvalidationSource; keys: number; tags: number; dropped: number }
  | { type: 'bus'; state: 'up' | 'down' }
  | { type: 'bus_rejected'; reason: 'malformed' | 'overflow' }
  | { type: 'market_overflow'; reason: MarketOverflowReason };

/**
 * A `getOrLoad` call that went past the in-process tier (to the store, the clock or
 * the loader), when it settled (`cache.onResult`): how the value was obtained, or
 * `error` when the call rejected, and how long it took. The call ends when the
 * event is emitted, so it began `durationMs` earlier. A hit on an in-process copy
 * is not one (it is a `hit` event with `l1: true`), so that path stays free.
 */
export interface CacheResultEvent {
  key: string;
  /** The caller's scope, as given. */
  scope: string | undefined;
  /** How the value was obtained (a `CacheResult`'s status), or `error` when the call rejected. */
  status: 'hit' | 'miss' | 'stale' | 'coalesced' | 'error';
  durationMs: number;
  /** Age of the served entry, ms (as a `CacheResult` has it); null for a value just loaded, or an error. */
  ageMs: number | null;
  /** The decision the read was judged by; null when the call rejected. */
  decision: TtlDecision | null;
  storeFailure: StoreFailure | null;
  /** Why the call rejected (the loader's error, a `LoaderTimeoutError`, an `OverloadedError`…); undefined otherwise. */
  error?: unknown;
}

/**
 * The `hooks` option of {@link AdaptiveCache}: a shorthand for subscribing to
 * `cache.onCacheEvent` and `cache.onResult` at construction. A hook that throws is
 * ignored, so observability never changes what the cache serves.
 */
export interface CacheHooks {
  onCacheEvent?(event: CacheEvent): void;
  /** When a `getOrLoad` that went past the in-process tier settles (see {@link CacheResultEvent}). */
  onResult?(event: CacheResultEvent): void;
}

/** Counters of one {@link AdaptiveCache} since it was built (see {@link AdaptiveCache.stats}). */
export interface CacheStats {
  hits: number;
  /** Hits served from the in-process tier (no store command), included in `hits`. */
  l1Hits: number;
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
  /** Background reloads started by refresh ahead, those that failed or timed out, and those not started for want of a load slot. */
  refreshes: number;
  refreshErrors: number;
  refreshSkipped: number;
  /** Loads that passed `loadTimeout.soft` with a stale entry served meanwhile. */
  softTimeouts: number;
  /** Loads past `maxConcurrentLoads`: served stale, served after waiting for a slot, refused with `OverloadedError`. */
  overloadStale: number;
  overloadWaited: number;
  overloadRejected: number;
  /** Invalidations applied (local calls, bus messages, market changes). */
  invalidations: number;
  /** Times the bus went down (the in-process tier was bypassed and flushed). */
  busDowns: number;
  /** Bus messages ignored as malformed, and ignored past the rate bound. */
  busRejected: number;
  busOverflows: number;
  /** Times market changes overflowed what is tracked one by one, and every market-tagged entry written before was voided. */
  marketOverflows: number;
}

/** A zeroed {@link CacheStats}. */
export function emptyStats(): CacheStats {
  return {
    hits: 0,
    l1Hits: 0,
    misses: 0,
    loads: 0,
    loadErrors: 0,
    loadTimeouts: 0,
    lateLoads: 0,
    staleServed: 0,
    coalescedWaits: 0,
    storeErrors: 0,
    corrupt: 0,
    notCached: 0,
    refreshes: 0,
    refreshErrors: 0,
    refreshSkipped: 0,
    softTimeouts: 0,
    overloadStale: 0,
    overloadWaited: 0,
    overloadRejected: 0,
    invalidations: 0,
    busDowns: 0,
    busRejected: 0,
    busOverflows: 0,
    marketOverflows: 0,
  };
}

/** Adds one event to the counters. */
export function countEvent(stats: CacheStats, event: CacheEvent): void {
  switch (event.type) {
    case 'hit':
      stats.hits += 1;
      if (event.l1) stats.l1Hits += 1;
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
    case 'refresh':
      if (event.outcome === 'skipped') stats.refreshSkipped += 1;
      else stats.refreshes += 1;
      if (event.outcome === 'error' || event.outcome === 'timeout') stats.refreshErrors += 1;
      return;
    case 'soft_timeout':
      stats.softTimeouts += 1;
      return;
    case 'overload':
      if (event.outcome === 'stale') stats.overloadStale += 1;
      else if (event.outcome === 'waited') stats.overloadWaited += 1;
      else stats.overloadRejected += 1;
      return;
    case 'invalidate':
      stats.invalidations += 1;
      return;
    case 'bus':
      if (event.state === 'down') stats.busDowns += 1;
      return;
    case 'bus_rejected':
      if (event.reason === 'overflow') stats.busOverflows += 1;
      else stats.busRejected += 1;
      return;
    case 'market_overflow':
      stats.marketOverflows += 1;
      return;
  }
}
