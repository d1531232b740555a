export { PanicMode, type Tier, type PanicTier } from './policy/panic-mode.js';
export { MatchImportance } from './policy/match-importance.js';
export { type Importance, IMPORTANCES } from './policy/importance.js';
export { AdaptivePanicQuota, type TierPlanRow } from './policy/adaptive-panic-quota.js';
export {
  DEFAULT_TIERS,
  DEFAULT_LEAGUES,
  DEFAULT_MATCH_TYPES,
  type TierTable,
  type PanicPolicyOptions,
  type ResolvedPanicPolicy,
} from './policy/policy-config.js';
export type { MatchContext, TtlDecision, FailSafeReason } from './policy/ttl-decision.js';
export type {
  PanicClock,
  PanicObservation,
  PanicInspection,
  ObservationKind,
  CorruptValue,
  CorruptionReason,
  StartPanicOptions,
} from './clock/panic-clock.js';
export { MemoryPanicClock, type MemoryPanicClockOptions } from './clock/memory-panic-clock.js';
export { RedisPanicClock, type RedisPanicClockOptions, type RedisClient } from './clock/redis-panic-clock.js';
export { GLOBAL_SCOPE, isValidScope } from './clock/scope.js';
export { VixCircuitBreaker, type VixCircuitBreakerOptions, type GetTtlInput, type VixStatus } from './breaker/vix-circuit-breaker.js';
export type { BreakerHooks, BreakerLogger, StoreOutcome } from './breaker/breaker-hooks.js';
export {
  VixTtlError,
  InvalidInputError,
  InvalidConfigError,
  StoreError,
  StoreTimeoutError,
  StoreBusyError,
} from './errors.js';

// — service (src/server, src/web) —

// — adaptive cache (src/cache) —
export {
  AdaptiveCache,
  type AdaptiveCacheOptions,
  type ResolvedAdaptiveCacheOptions,
  type CoalesceOptions,
  type CacheResult,
  type CacheStatus,
  type CacheLoader,
  type CacheLoaderContext,
  type TtlSource,
} from './cache/adaptive-cache.js';
export type { CacheStore, StoredEntry, StoreRead } from './cache/cache-store.js';
export { RedisCacheStore } from './cache/redis-cache-store.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './cache/memory-cache-store.js';
export { jsonSerializer, type CacheSerializer } from './cache/cache-serializer.js';
export type { CacheEvent, CacheHooks, CacheStats, MissReason, StoreOperation } from './cache/cache-events.js';
export type { StoreFailure } from './cache/store-guard.js';
export { physicalExpiryMs } from './cache/physical-expiry.js';
export { cacheControl, NO_REUSE, type CacheControlOptions } from './cache/cache-control.js';
export { vixTtlCacheControl, type VixTtlCacheControlOptions } from './cache/fastify-cache-control.js';
export { cacheMetricsHooks, type CacheMetricsOptions } from './cache/cache-metrics.js';

// — VIX engine (src/vix) —
