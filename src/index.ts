/**
 * vix-ttl, the library: the pure policy, the panic clocks, the circuit breaker, the
 * adaptive cache and the VIX engine with its publisher. It loads no server module
 * (no fastify, prom-client or dashboard asset); the HTTP service is `vix-ttl/server`.
 * @packageDocumentation
 */
export { PanicMode, type Tier, type PanicTier } from './policy/panic-mode.js';
export { MatchImportance } from './policy/match-importance.js';
export { type Importance, IMPORTANCES } from './policy/importance.js';
export { AdaptivePanicQuota, type TierPlanRow } from './policy/adaptive-panic-quota.js';
export {
  DEFAULT_TIERS,
  DEFAULT_LEAGUES,
  DEFAULT_MATCH_TYPES,
  DEFAULT_MATCH_TYPE_WORDS,
  DEFAULT_IGNORED_AFFIXES,
  type TierTable,
  type PanicPolicyOptions,
  type ResolvedPanicPolicy,
} from './policy/policy-config.js';
export { FAIL_SAFE_REASONS, type MatchContext, type TtlDecision, type ShadowDecision, type FailSafeReason } from './policy/ttl-decision.js';
export { SHADOW_OUTCOMES, shadowDecision, shadowOutcome, type ShadowOutcome } from './policy/shadow-decision.js';
export {
  OBSERVATION_KINDS,
  CORRUPTION_REASONS,
  type PanicClock,
  type PanicObservation,
  type PanicInspection,
  type ObservationKind,
  type ObservationRequest,
  type ObservationResult,
  type CorruptValue,
  type CorruptionReason,
  type EvictionPolicy,
  type LateObservation,
  type StartPanicOptions,
  type InspectOptions,
} from './clock/panic-clock.js';
export { MemoryPanicClock, type MemoryPanicClockOptions } from './clock/memory-panic-clock.js';
export { RedisPanicClock, type RedisPanicClockOptions, type RedisClient } from './clock/redis-panic-clock.js';
export type { RedisPubSubClient } from './core/redis-script.js';
export { GLOBAL_SCOPE, isValidScope } from './clock/scope.js';
export { VixCircuitBreaker, type VixCircuitBreakerOptions, type GetTtlInput, type GetTtlOptions } from './breaker/vix-circuit-breaker.js';
export { ShadowLedger, type ShadowLedgerOptions, type ShadowTotal } from './breaker/shadow-ledger.js';
export { VIX_STATUSES, VIX_STATUS_LEVEL, isVixStatus, type VixStatus } from './policy/vix-status.js';
export type { BreakerHooks, BreakerLogger, StoreOutcome, DecisionEvent, StoreCallEvent, RepairEvent, ObservationEvent } from './breaker/breaker-hooks.js';
export { EventEmitter, type Event, type Disposable } from './core/event.js';
export { ERROR_CODES, HTTP_ERRORS, httpErrorOf, type VixTtlErrorCode, type HttpErrorName, type ErrorCodeEntry, type HttpErrorEntry } from './core/error-catalogue.js';
export {
  isVixTtlError,
  VixTtlError,
  InvalidInputError,
  InvalidConfigError,
  StoreError,
  StoreTimeoutError,
  StoreBusyError,
  LoaderTimeoutError,
  OverloadedError,
} from './core/errors.js';

// — adaptive cache (src/cache) —
export {
  AdaptiveCache,
  type AdaptiveCacheOptions,
  type ResolvedAdaptiveCacheOptions,
  type CoalesceOptions,
  type LoadTimeoutOptions,
  type L1Options,
  type BusOptions,
  type InvalidateOnOptions,
  type OverloadOptions,
  type CacheInput,
  type CacheResult,
  type CacheStatus,
  type CacheLoader,
  type CacheLoaderContext,
  type TtlSource,
} from './cache/adaptive-cache.js';
export {
  TOMBSTONE_MS,
  type CacheStore,
  type InvalidateTagsOptions,
  type StoredEntry,
  type StoreRead,
  type StoreWriteOptions,
  type StoreWriteOutcome,
  type StoreSubscriberHandlers,
  type StoreSubscriberOptions,
  type StoreSubscription,
} from './cache/cache-store.js';
export { tagIndexKey, marketTag, validateTags, MAX_TAGS_PER_ENTRY } from './cache/cache-tags.js';
export { MarketChangePublisher, type MarketChangePublisherOptions, type MarketChangeStats } from './cache/market-change-publisher.js';
export { BUS_VERSION, encodeMarketChange, parseMarketChange, type MarketChangeMessage, type InvalidationMessage } from './cache/bus-message.js';
export { RedisCacheStore } from './cache/redis-cache-store.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './cache/memory-cache-store.js';
export { jsonSerializer, type CacheSerializer } from './cache/cache-serializer.js';
export type { CacheEvent, CacheHooks, CacheResultEvent, CacheStats, MissReason, StoreOperation, RefreshOutcome, OverloadOutcome, InvalidationSource, MarketOverflowReason } from './cache/cache-events.js';
export { STORE_FAILURES, type StoreFailure } from './core/store-failure.js';
export { physicalExpiryMs } from './cache/physical-expiry.js';
export { cacheControl, NO_REUSE, type CacheControlOptions } from './cache/cache-control.js';
export { vixTtlCacheControl, type VixTtlCacheControlOptions } from './cache/fastify-cache-control.js';

// — VIX engine (src/vix) —
export { VixEngine, type VixScopeSnapshot, type VixEngineStats, type VixIngestOptions } from './vix/vix-engine.js';
export type { VixEngineOptions, VixLevelOptions, ResolvedVixOptions } from './vix/vix-options.js';
export type { VixHooks, VixTransition, VixIndexEvent, VixRejectEvent, VixPriceChangeEvent, TransitionCause } from './vix/vix-hooks.js';
export type { PendingStatus } from './vix/status-hysteresis.js';
export { REJECT_RULES, REJECT_REASONS, type Tick, type RejectReason, type RejectRule, type IngestResult, type BatchResult } from './vix/tick.js';
export { tickTimeMs } from './vix/tick-time.js';
export { VixPublisher, type VixPublisherOptions, type PublisherHooks, type PublishEvent, type PublishKind, type PublishReason } from './vix/vix-publisher.js';
export {
  VixReplay,
  type VixReplayOptions,
  type ReplayResult,
  type ReplayScope,
  type ReplayPanic,
  type ReplayTransition,
  type TierStep,
} from './vix/vix-replay.js';
export { renderReplayReport, type ReplayReportOptions } from './vix/replay-report.js';
export { readTickFile, tickFileFormat, TickFileError, type TickFileFormat } from './vix/tick-file.js';
export {
  simulateTicks,
  type SimulationOptions,
  type SimulatedScope,
  type SimulatedEvent,
  type SimulatedRecord,
  type SimulatedBadTick,
} from './vix/simulate-ticks.js';
export { SeededRandom } from './vix/seeded-random.js';
