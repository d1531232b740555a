// Type tests of the public API, checked by `npm run lint` (tsc, strict, exactOptionalPropertyTypes):
// an expectation that no longer holds is a compile error. They say what README.md and the
// TSDoc promise: unions where the docs list values, options that take `undefined`, ioredis 5
// and 6 clients where the docs say "an ioredis client".
import type { FastifyInstance } from 'fastify';
import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis5';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { describe, expectTypeOf, it } from 'vitest';
import * as library from '../../src/index.js';
import {
  AdaptiveCache,
  AdaptivePanicQuota,
  IMPORTANCES,
  MatchImportance,
  MemoryPanicClock,
  PanicMode,
  RedisCacheStore,
  RedisPanicClock,
  VIX_STATUSES,
  VixCircuitBreaker,
  VixEngine,
  VixPublisher,
  cacheControl,
  type CacheEvent,
  type DecisionEvent,
  type FailSafeReason,
  type GetTtlInput,
  type GetTtlOptions,
  type Importance,
  type MatchContext,
  type PanicClock,
  type PanicPolicyOptions,
  type RedisClient,
  type RedisPubSubClient,
  type RedisPanicClockOptions,
  type ShadowDecision,
  type ShadowOutcome,
  type ShadowTotal,
  type Tier,
  type TierStep,
  type TtlDecision,
  type VixCircuitBreakerOptions,
  type VixStatus,
  type VixTransition,
} from '../../src/index.js';
import * as server from '../../src/server/index.js';
import { createServer, type ScopeStateView, type ServiceStateSnapshot, type VixTtlServer, type VixTtlServerOptions } from '../../src/server/index.js';

declare const maybe: string | undefined;
declare const maybeNumber: number | undefined;
declare const maybeFlag: boolean | undefined;

describe('the decision', () => {
  it('has unions for its mode, importance, tier and reason, as the docs list them', () => {
    expectTypeOf<TtlDecision['mode']>().toEqualTypeOf<'NORMAL' | 'PANIC_FULL' | 'PANIC_PARTIAL' | 'DEGRADED' | 'NEW_NORMAL'>();
    expectTypeOf<TtlDecision['mode']>().toEqualTypeOf<PanicMode>();
    expectTypeOf<TtlDecision['importance']>().toEqualTypeOf<'high_stakes' | 'medium_stakes' | 'low_stakes'>();
    expectTypeOf<TtlDecision['importance']>().toEqualTypeOf<Importance>();
    expectTypeOf<TtlDecision['tier']>().toEqualTypeOf<0 | 1 | 2 | 3 | 4>();
    expectTypeOf<TtlDecision['reason']>().toEqualTypeOf<FailSafeReason | undefined>();
    expectTypeOf<FailSafeReason>().toEqualTypeOf<'no_clock' | 'store_timeout' | 'store_error' | 'store_busy' | 'corrupt_value_repaired' | 'scope_limit'>();
    expectTypeOf<TtlDecision['panicDurationMin']>().toEqualTypeOf<number | null>();
    expectTypeOf<TtlDecision['nextTierInMin']>().toEqualTypeOf<number | null>();
  });

  it('narrows on its mode: a switch over the five modes is exhaustive', () => {
    const label = (decision: TtlDecision): string => {
      switch (decision.mode) {
        case PanicMode.NORMAL:
        case PanicMode.PANIC_FULL:
        case PanicMode.PANIC_PARTIAL:
        case PanicMode.DEGRADED:
        case PanicMode.NEW_NORMAL:
          return decision.mode;
        default: {
          const never: never = decision.mode;
          return never;
        }
      }
    };
    expectTypeOf(label).returns.toEqualTypeOf<string>();
  });

  it('comes from the pure policy and from the breaker alike', () => {
    expectTypeOf(new AdaptivePanicQuota().calculateTtlStrategy).returns.toEqualTypeOf<TtlDecision>();
    expectTypeOf(new AdaptivePanicQuota().calculateTtlStrategy).parameters.toEqualTypeOf<[baseTtl: number, panicDurationMinutes: number | null, match?: MatchContext | null]>();
    expectTypeOf<VixCircuitBreaker['getTtl']>().returns.toEqualTypeOf<Promise<TtlDecision>>();
    expectTypeOf<VixCircuitBreaker['getTtl']>().parameter(0).toEqualTypeOf<GetTtlInput>();
    expectTypeOf<VixCircuitBreaker['getTtl']>().parameter(1).toEqualTypeOf<GetTtlOptions | undefined>();
    expectTypeOf<GetTtlOptions['mayReservePanicScope']>().toEqualTypeOf<(() => boolean) | undefined>();
  });

  it('carries, in shadow mode only, the decision that would have applied: a whole decision without a shadow of its own', () => {
    expectTypeOf<TtlDecision['shadow']>().toEqualTypeOf<ShadowDecision | undefined>();
    expectTypeOf<ShadowDecision>().toEqualTypeOf<Omit<TtlDecision, 'shadow'>>();
    expectTypeOf<ShadowDecision['reason']>().toEqualTypeOf<FailSafeReason | undefined>();
    expectTypeOf<ShadowDecision>().not.toHaveProperty('shadow');
    expectTypeOf<DecisionEvent['served']>().toEqualTypeOf<TtlDecision | undefined>();
    expectTypeOf<ShadowOutcome>().toEqualTypeOf<'same' | 'fresher' | 'staler'>();
    expectTypeOf<ShadowTotal['outcome']>().toEqualTypeOf<ShadowOutcome>();
    expectTypeOf<ShadowTotal['tier']>().toEqualTypeOf<Tier>();
    expectTypeOf({ clock: null, shadow: maybeFlag }).toExtend<VixCircuitBreakerOptions>();
    expectTypeOf({ clock: new MemoryPanicClock(), shadow: maybeFlag }).toExtend<VixTtlServerOptions>();
    expectTypeOf({ clock: null, shadow: 'yes' }).not.toExtend<VixCircuitBreakerOptions>();
  });
});

describe('the constants', () => {
  it('are literal unions, not strings', () => {
    expectTypeOf(PanicMode.PANIC_FULL).toEqualTypeOf<'PANIC_FULL'>();
    expectTypeOf(MatchImportance.HIGH_STAKES).toEqualTypeOf<'high_stakes'>();
    expectTypeOf(MatchImportance.classify).returns.toEqualTypeOf<Importance>();
    expectTypeOf(IMPORTANCES).toEqualTypeOf<readonly ['high_stakes', 'medium_stakes', 'low_stakes']>();
    expectTypeOf<VixStatus>().toEqualTypeOf<'calm' | 'elevated' | 'panic'>();
    expectTypeOf(VIX_STATUSES).toEqualTypeOf<readonly ['calm', 'elevated', 'panic']>();
  });

  it('statuses, modes and importances are unions wherever they appear', () => {
    expectTypeOf<GetTtlInput['vixStatus']>().toEqualTypeOf<VixStatus | undefined>();
    expectTypeOf<MatchContext['importance']>().toEqualTypeOf<Importance | undefined>();
    expectTypeOf<VixTransition['from']>().toEqualTypeOf<VixStatus>();
    expectTypeOf<VixTransition['to']>().toEqualTypeOf<VixStatus>();
    expectTypeOf<VixEngine['status']>().returns.toEqualTypeOf<VixStatus>();
    expectTypeOf<TierStep['mode']>().toEqualTypeOf<PanicMode>();
    expectTypeOf<TierStep['tier']>().toEqualTypeOf<Tier>();
    expectTypeOf<Extract<CacheEvent, { type: 'hit' }>['decision']>().toEqualTypeOf<TtlDecision>();
    expectTypeOf<ServiceStateSnapshot['alert']['scopes'][number]['mode']>().toEqualTypeOf<PanicMode>();
    expectTypeOf<ServiceStateSnapshot['alert']['scopes'][number]['importance']>().toEqualTypeOf<Importance>();
    expectTypeOf<ScopeStateView['failSafe']['reason']>().toEqualTypeOf<FailSafeReason | null>();
    expectTypeOf<NonNullable<ScopeStateView['tiers']>['high_stakes']['mode']>().toEqualTypeOf<PanicMode>();
  });
});

describe('options under exactOptionalPropertyTypes', () => {
  it('take a value that may be undefined, as a caller reading the environment has', () => {
    expectTypeOf({ clock: new MemoryPanicClock(), adminToken: process.env.VIX_TTL_ADMIN_TOKEN, apiToken: process.env.VIX_TTL_API_TOKEN }).toExtend<VixTtlServerOptions>();
    expectTypeOf({ clock: null, syncIntervalMs: maybeNumber, timeoutMs: maybeNumber, logger: undefined, hooks: undefined }).toExtend<VixCircuitBreakerOptions>();
    expectTypeOf({ keyPrefix: maybe, timeoutMs: maybeNumber, calmGraceSeconds: maybeNumber }).toExtend<RedisPanicClockOptions>();
    expectTypeOf({ baseTtl: 60, vixStatus: undefined, match: { league: maybe, matchType: maybe, importance: undefined }, scope: maybe }).toExtend<GetTtlInput>();
    expectTypeOf({ leagues: { high_stakes: undefined }, tiers: undefined }).toExtend<PanicPolicyOptions>();
    expectTypeOf({ staleIfError: maybeNumber, visibility: undefined }).toExtend<NonNullable<Parameters<typeof cacheControl>[1]>>();
  });

  it('still refuse a value of the wrong type', () => {
    expectTypeOf({ clock: new MemoryPanicClock(), adminToken: 42 }).not.toExtend<VixTtlServerOptions>();
    expectTypeOf({ baseTtl: 60, vixStatus: 'PANIC' }).not.toExtend<GetTtlInput>();
    expectTypeOf({ baseTtl: 60, match: { importance: 'huge_stakes' } }).not.toExtend<GetTtlInput>();
  });
});

describe('Redis clients', () => {
  it('any ioredis 5 or 6 client fits the clock and the cache store, whatever its reply mapping', () => {
    expectTypeOf<Redis5>().toExtend<RedisClient>();
    expectTypeOf<Cluster5>().toExtend<RedisClient>();
    expectTypeOf<Redis6>().toExtend<RedisClient>();
    expectTypeOf<Redis6<'resp3'>>().toExtend<RedisClient>();
    expectTypeOf<Cluster6>().toExtend<RedisClient>();
    expectTypeOf<Cluster6<'resp3'>>().toExtend<RedisClient>();
    expectTypeOf<Redis5>().toExtend<RedisPubSubClient>();
    expectTypeOf<Cluster5>().toExtend<RedisPubSubClient>();
    expectTypeOf<Redis6>().toExtend<RedisPubSubClient>();
    expectTypeOf<Redis6<'resp3'>>().toExtend<RedisPubSubClient>();
    expectTypeOf<Cluster6>().toExtend<RedisPubSubClient>();
    expectTypeOf<typeof RedisPanicClock>().constructorParameters.toEqualTypeOf<[redis: RedisClient, options?: RedisPanicClockOptions]>();
    expectTypeOf<typeof RedisCacheStore>().constructorParameters.toEqualTypeOf<[redis: RedisPubSubClient]>();
  });

  it('a client without the commands vix-ttl sends does not', () => {
    expectTypeOf<{ get(key: string): Promise<string | null> }>().not.toExtend<RedisClient>();
    expectTypeOf<Omit<Redis6, 'config'>>().not.toExtend<RedisClient>();
  });
});

describe('the entry points', () => {
  it("'vix-ttl' holds the library and nothing of the service", () => {
    expectTypeOf(library).toHaveProperty('VixCircuitBreaker');
    expectTypeOf(library).toHaveProperty('AdaptiveCache');
    expectTypeOf(library).toHaveProperty('VixEngine');
    expectTypeOf(library).toHaveProperty('VixPublisher');
    expectTypeOf(library).toHaveProperty('RedisPanicClock');
    expectTypeOf(library).not.toHaveProperty('createServer');
    expectTypeOf(library).not.toHaveProperty('ServiceMetrics');
    expectTypeOf(library).not.toHaveProperty('cacheMetricsHooks');
  });

  it("'vix-ttl/server' holds the service", () => {
    expectTypeOf(server).toHaveProperty('createServer');
    expectTypeOf(server).toHaveProperty('ServiceMetrics');
    expectTypeOf(server).toHaveProperty('cacheMetricsHooks');
    expectTypeOf(createServer).returns.toEqualTypeOf<Promise<VixTtlServer>>();
    expectTypeOf<VixTtlServer['app']>().toEqualTypeOf<FastifyInstance>();
    expectTypeOf<VixTtlServer['breaker']>().toEqualTypeOf<VixCircuitBreaker>();
  });

  it('the building blocks take each other as the README shows', () => {
    const clock: PanicClock = new MemoryPanicClock();
    const breaker = new VixCircuitBreaker({ clock });
    expectTypeOf(new AdaptiveCache({ breaker, store: new library.MemoryCacheStore() }).getOrLoad<number>).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(new VixPublisher({ engine: new VixEngine(), clock })).toEqualTypeOf<VixPublisher>();
  });
});
