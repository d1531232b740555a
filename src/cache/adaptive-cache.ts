import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { GetTtlInput, VixCircuitBreaker } from '../breaker/vix-circuit-breaker.js';
import { EventEmitter, subscribeHooks, type Event } from '../core/event.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { InvalidConfigError, InvalidInputError, LoaderTimeoutError, OverloadedError, messageOf } from '../core/errors.js';
import type { TtlDecision } from '../policy/ttl-decision.js';
import { shadowDecision } from '../policy/shadow-decision.js';
import { encodeInvalidation, parseInvalidation, parseMarketChange } from './bus-message.js';
import { countEvent, emptyStats, type CacheEvent, type CacheHooks, type CacheResultEvent, type CacheStats, type MarketOverflowReason, type MissReason, type RefreshOutcome, type StoreOperation } from './cache-events.js';
import { validateCacheKey } from './cache-key.js';
import { jsonSerializer, type CacheSerializer } from './cache-serializer.js';
import type { CacheStore, StoreRead, StoreSubscription } from './cache-store.js';
import { isMarketTag, marketTag, tagIndexKey, validateTags } from './cache-tags.js';
import { L1Cache, type L1Entry } from './l1-cache.js';
import { LoadLimiter, type LoadSlot } from './load-limiter.js';
import { physicalExpiryMs } from './physical-expiry.js';
import { SingleFlight } from './single-flight.js';
import { StoreGuard } from '../core/store-guard.js';
import { storeFailureOf, type StoreFailure } from '../core/store-failure.js';
import { withTimeout } from '../core/with-timeout.js';

/**
 * Where a decision comes from: a {@link VixCircuitBreaker}, or anything with its
 * `getTtl` (and, for round-trip-free in-process hits, its `peekTtl`; for in-process
 * hits in publisher mode, its `isSynced`, without which a copy is trusted whenever
 * `getTtl` answers).
 */
export type TtlSource = Pick<VixCircuitBreaker, 'getTtl'> & Partial<Pick<VixCircuitBreaker, 'peekTtl' | 'isSynced'>>;

/** How concurrent loads of one key are shared. */
export interface CoalesceOptions {
  /**
   * Also share loads between processes through a short Redis lock (`SET NX PX`):
   * the process that takes it loads, the others wait for its entry. Needs a shared
   * store. Default false (loads are shared within a process only).
   */
  crossProcess?: boolean | undefined;
  /**
   * How long the lock lives if its holder dies mid-load. Default `loadTimeout.hard`
   * + 1,000 ms, and never less than `loadTimeout.hard`: a load still running must
   * not lose its lock to another process that would load the same key again.
   */
  lockTtlMs?: number | undefined;
  /**
   * Longest a process waits for another's load before calling the loader itself.
   * Default `loadTimeout.hard`, and never less (refused): the holder may load that
   * long, so a waiter giving up earlier would call the backend for a key already
   * being loaded (a stampede on exactly the slow loads).
   */
  waitTimeoutMs?: number | undefined;
}

/** Bounds on one loader call. */
export interface LoadTimeoutOptions {
  /**
   * Past this many ms a caller is served a stale entry (one younger than
   * `staleIfErrorSeconds`), flagged `stale`, and the load goes on in the background
   * (under `hard`) to store a fresh value. Without such an entry the caller keeps
   * waiting. Default none.
   */
  soft?: number | undefined;
  /**
   * Longest a loader call may take, in ms; no key can stay wedged behind a loader
   * that never settles. Past it the callers waiting on that load get a
   * {@link LoaderTimeoutError} (or a stale entry inside `staleIfErrorSeconds`, as for
   * any failed load), the key's single flight and cross-process lock are released so
   * the next call loads again, the loader's `signal` is aborted, and whatever the
   * loader settles with later is discarded. Default 10,000 ms: a bound for a broken
   * backend, not a latency target — far above a healthy backend call, so a slow but
   * working backend is not cut (each cut starts another load on the next call while
   * the abandoned one still runs), and below the 30–60 s after which the proxies and
   * clients in front give up on their own.
   */
  hard?: number | undefined;
}

/** The in-process tier in front of a shared store. */
export interface L1Options {
  /** Most copies kept in this process (least recently used dropped first). */
  max: number;
}

/** The invalidation bus that keeps every process's in-process tier coherent. */
export interface BusOptions {
  /** How often the subscriber connection is pinged, ms. Default 1,000. */
  heartbeatMs?: number | undefined;
  /** A ping unanswered this long marks the bus down (the in-process tier is bypassed and flushed), ms. Default 1,000. */
  timeoutMs?: number | undefined;
  /** Most bus messages handled per second; past it they are ignored and the in-process tier is flushed and bypassed for a second. Default 10,000. */
  maxMessagesPerSecond?: number | undefined;
}

/** Invalidations driven by the odds feed. */
export interface InvalidateOnOptions {
  /**
   * Subscribe to the service's market-change channel: "market M's price moved"
   * drops every entry tagged `market:M`, in this process's tier and in the store
   * (done once per message across the processes of a namespace). Needs a store
   * with pub/sub (Redis). Default false.
   */
  marketChanges?: boolean | undefined;
  /** The channel the service publishes on. Default `vix-ttl:market-changes`. */
  marketChannel?: string | undefined;
}

/** What happens to a load past `maxConcurrentLoads`. */
export interface OverloadOptions {
  /** A stale entry younger than this stands in (flagged `stale`), ms. Default 5,000 (the tier-2 TTL). */
  staleMs?: number | undefined;
  /** Otherwise the load waits at most this long for a slot, ms. Default 1,000; then `OverloadedError`. */
  waitMs?: number | undefined;
  /** Most callers waiting for a slot at once; more are refused at once. Default 1,000. */
  maxWaiting?: number | undefined;
}

/** Options of {@link AdaptiveCache}. */
export interface AdaptiveCacheOptions {
  /** Decides each read's TTL (the breaker's *current* decision). */
  breaker: TtlSource;
  /** Where entries live: a {@link RedisCacheStore} or a {@link MemoryCacheStore}. */
  store: CacheStore;
  /** Prefix of every key, ending with `:`. Default `vix-ttl:cache:`; locks live under `<namespace minus ':'>.lock:`, tag indexes under `….tag:{<tag>}`, the bus channel is `….bus`. */
  namespace?: string | undefined;
  /** Default JSON. */
  serializer?: CacheSerializer | undefined;
  /** How old an entry may be to stand in for a load that failed (or passed `loadTimeout.soft`). Default 0 (the loader's error propagates). */
  staleIfErrorSeconds?: number | undefined;
  coalesce?: CoalesceOptions | undefined;
  /** Bounds on a loader call (`soft`, none by default; `hard`, default 10 s). */
  loadTimeout?: LoadTimeoutOptions | undefined;
  /** Longest wait for the store per call; past it the cache fails open (the loader is called). Default 50 ms. */
  timeoutMs?: number | undefined;
  /** Longest key accepted, in characters. Default 512. */
  maxKeyLength?: number | undefined;
  /** Longest tag accepted, in characters. Default 256. */
  maxTagLength?: number | undefined;
  /**
   * A bounded in-process copy of entries in front of a shared store (Redis): a hit
   * on a fresh copy makes no store command. Needs a store with pub/sub: the cache
   * opens a subscriber connection of its own, and bypasses the copies whenever it is
   * not subscribed. Default none.
   */
  l1?: L1Options | undefined;
  bus?: BusOptions | undefined;
  invalidateOn?: InvalidateOnOptions | undefined;
  /**
   * A hit older than this fraction of the current TTL (0–1 exclusive) is served at
   * once and starts one background reload of its key (shared in the process and,
   * with `coalesce.crossProcess`, across processes). Default none.
   */
  refreshAhead?: number | undefined;
  /** Most loader calls in flight at once in this cache (background reloads included). Default none (unbounded). */
  maxConcurrentLoads?: number | undefined;
  /** Most loader calls in flight at once per scope (`input.scope`). Default none. */
  maxConcurrentLoadsPerScope?: number | undefined;
  overload?: OverloadOptions | undefined;
  /**
   * Shadow mode: each read is judged, stored and refreshed by the caller's own
   * `baseTtl`, as a plain TTL cache would, so the cache never serves anything it would
   * not serve without vix-ttl; the breaker's decision is still taken (hooks, logs,
   * metrics) and comes with each result and event as `decision.shadow`. With a breaker
   * already in shadow mode this changes nothing. Default false.
   */
  shadow?: boolean | undefined;
  /** Listeners subscribed at construction: a shorthand for `cache.onCacheEvent(fn)` (see {@link CacheHooks}). */
  hooks?: CacheHooks | undefined;
}

/** The input of one read: the breaker's input, plus the tags to store a loaded value with. */
export interface CacheInput extends GetTtlInput {
  /**
   * Tags of the value (`match:psg-om`, `league:ligue-1`, `market:<id>`): at most 16
   * strings of at most `maxTagLength` characters, without control characters or
   * braces. `invalidateTags` drops every entry carrying one.
   */
  tags?: readonly string[] | undefined;
}

/** How a value was obtained. */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'coalesced';

/** A value and how it was obtained, from {@link AdaptiveCache.getOrLoadWithMeta}. */
export interface CacheResult<T> {
  value: T;
  /**
   * `hit`: a fresh entry; `miss`: this call ran the loader; `coalesced`: this call
   * shared another caller's load (same process or another); `stale`: an entry past
   * its TTL stood in — the loader failed, passed `loadTimeout.soft`, or the backend
   * was at `maxConcurrentLoads` — within the bound that case allows.
   */
  status: CacheStatus;
  /** True exactly when `status` is `stale`. */
  stale: boolean;
  /** Age of the served entry in ms on the store's clock (an upper bound for an in-process copy), or null for a value this call (or a caller it joined) just loaded. */
  ageMs: number | null;
  /** When the served entry was written, ms on the store's clock; null when unknown (a value loaded and not stored). */
  writtenAtMs: number | null;
  /** True when the value came from the in-process tier (no store command). */
  l1: boolean;
  /** The decision this read was judged by. */
  decision: TtlDecision;
  /** Why the store could not be used (the cache failed open), or null. */
  storeFailure: StoreFailure | null;
}

/** What a loader is told. */
export interface CacheLoaderContext {
  key: string;
  decision: TtlDecision;
  /**
   * Aborted (reason: the {@link LoaderTimeoutError}) when the load passes
   * `loadTimeout.hard`; pass it to `fetch` or your client so an abandoned load stops
   * holding a backend connection.
   */
  signal: AbortSignal;
}

/** Fetches the value from the backend on a miss. */
export type CacheLoader<T> = (context: CacheLoaderContext) => T | Promise<T>;

const CHANNEL_PATTERN = /^[A-Za-z0-9:_.{}-]{1,128}$/;

const optionsSchema = z
  .strictObject({
    breaker: z.custom<TtlSource>((v) => typeof v === 'object' && v !== null && typeof (v as TtlSource).getTtl === 'function', {
      message: 'is required: pass a VixCircuitBreaker (or an object with its getTtl)',
    }),
    store: z.custom<CacheStore>(
      (v) => typeof v === 'object' && v !== null && ['read', 'write', 'delete', 'tryLock', 'unlock'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
      { message: 'is required: pass a RedisCacheStore, a MemoryCacheStore or another CacheStore' },
    ),
    namespace: z.string().regex(/^[A-Za-z0-9:_.{}-]{0,127}:$/, 'must be up to 128 characters of A-Z a-z 0-9 : _ . - { } ending with ":"').default('vix-ttl:cache:'),
    serializer: z
      .custom<CacheSerializer>((v) => typeof v === 'object' && v !== null && typeof (v as CacheSerializer).serialize === 'function' && typeof (v as CacheSerializer).deserialize === 'function', {
        message: 'must have serialize and deserialize functions',
      })
      .default(jsonSerializer),
    staleIfErrorSeconds: z.number().min(0).max(31_536_000).default(0),
    coalesce: z
      .strictObject({
        crossProcess: z.boolean().default(false),
        lockTtlMs: z.number().int().min(1).max(601_000).optional(),
        waitTimeoutMs: z.number().int().min(1).max(600_000).optional(),
      })
      .prefault({}),
    loadTimeout: z
      .strictObject({
        soft: z.number().int().min(1).max(600_000).optional(),
        hard: z.number().int().min(1).max(600_000).default(10_000),
      })
      .prefault({}),
    timeoutMs: z.number().positive().max(60_000).default(50),
    maxKeyLength: z.number().int().min(1).max(65_536).default(512),
    maxTagLength: z.number().int().min(1).max(1024).default(256),
    l1: z.strictObject({ max: z.number().int().min(1).max(10_000_000) }).optional(),
    bus: z
      .strictObject({
        heartbeatMs: z.number().int().min(10).max(60_000).default(1_000),
        timeoutMs: z.number().int().min(1).max(60_000).default(1_000),
        maxMessagesPerSecond: z.number().int().min(1).max(1_000_000).default(10_000),
      })
      .prefault({}),
    invalidateOn: z
      .strictObject({
        marketChanges: z.boolean().default(false),
        marketChannel: z.string().regex(CHANNEL_PATTERN, 'must be 1–128 characters of A-Z a-z 0-9 : _ . - { }').default('vix-ttl:market-changes'),
      })
      .prefault({}),
    refreshAhead: z.number().gt(0).lt(1).optional(),
    maxConcurrentLoads: z.number().int().min(1).max(1_000_000).optional(),
    maxConcurrentLoadsPerScope: z.number().int().min(1).max(1_000_000).optional(),
    overload: z
      .strictObject({
        staleMs: z.number().int().min(0).max(3_600_000).default(5_000),
        waitMs: z.number().int().min(0).max(600_000).default(1_000),
        maxWaiting: z.number().int().min(0).max(1_000_000).default(1_000),
      })
      .prefault({}),
    shadow: z.boolean().default(false),
    hooks: hooksOption<CacheHooks>(),
  })
  .superRefine((o, ctx) => {
    const { soft, hard } = o.loadTimeout;
    if (soft !== undefined && soft >= hard) ctx.addIssue({ code: 'custom', path: ['loadTimeout', 'soft'], message: `must be below loadTimeout.hard (${hard} ms), got ${soft}` });
    const wait = o.coalesce.waitTimeoutMs;
    if (wait !== undefined && wait < hard) {
      ctx.addIssue({ code: 'custom', path: ['coalesce', 'waitTimeoutMs'], message: `must be at least loadTimeout.hard (${hard} ms): the process holding the lock may load that long, and a waiter giving up earlier loads the same key again; got ${wait}` });
    }
    if (soft !== undefined && o.staleIfErrorSeconds === 0) {
      ctx.addIssue({ code: 'custom', path: ['loadTimeout', 'soft'], message: `serves an entry younger than staleIfErrorSeconds, which is 0: set staleIfErrorSeconds, or soft never acts; got ${soft}` });
    }
    if (o.invalidateOn.marketChanges && `${o.namespace.slice(0, -1)}.bus` === o.invalidateOn.marketChannel) {
      ctx.addIssue({ code: 'custom', path: ['invalidateOn', 'marketChannel'], message: `must differ from the cache's own bus channel, got ${o.invalidateOn.marketChannel}` });
    }
    const perScope = o.maxConcurrentLoadsPerScope;
    if (perScope !== undefined && o.maxConcurrentLoads !== undefined && perScope > o.maxConcurrentLoads) {
      ctx.addIssue({ code: 'custom', path: ['maxConcurrentLoadsPerScope'], message: `must be at most maxConcurrentLoads (${o.maxConcurrentLoads}), got ${perScope}` });
    }
    const lock = o.coalesce.lockTtlMs;
    if (lock !== undefined && lock < hard) {
      ctx.addIssue({ code: 'custom', path: ['coalesce', 'lockTtlMs'], message: `must be at least loadTimeout.hard (${hard} ms), or a load still running loses its lock and another process loads the same key; got ${lock}` });
    }
  });

/** The validated options of an {@link AdaptiveCache}. */
export type ResolvedAdaptiveCacheOptions = z.output<typeof optionsSchema>;

type ReadState = { ok: true; read: StoreRead; localMs: number; sentAt: number } | { ok: false; failure: StoreFailure };
type Lookup<T> = { hit: true; value: T; ageMs: number } | { hit: false; reason: MissReason };
type Outcome<T> = Pick<CacheResult<T>, 'value' | 'status' | 'stale' | 'ageMs' | 'writtenAtMs'>;
type Coordination<T> = { shared: Outcome<T> } | { lockToken: string | null };
/** The store side of one market change: the message's id, the attempts so far, when it is due, and whether it finishes a taken tag. */
type MarketJob = { id: string; attempt: number; dueAt: number; resume: boolean };

interface LoadContext<T> {
  name: string;
  dataKey: string;
  loader: CacheLoader<T>;
  decision: TtlDecision;
  state: ReadState;
  tags: readonly string[];
  scope: string | undefined;
  /** A refresh-ahead reload: it never waits for a load slot. */
  background: boolean;
}

const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;
const NO_TAGS: readonly string[] = Object.freeze([]);
/** Most tags one `invalidateTags` call (or one bus message) names. */
const MAX_INVALIDATE_TAGS = 1000;
/**
 * Most market tags tracked one by one (waiting for their store side, retried, or
 * unsettled); past it every market-tagged entry written before is voided instead
 * (`market_overflow`): a flood costs loads, never a stale value.
 */
const MAX_PENDING_MARKET_TAGS = 10_000;
/** A market tag whose store side failed is retried after 100 ms, doubling up to 2 s… */
const MARKET_RETRY_FIRST_MS = 100;
const MARKET_RETRY_MAX_MS = 2_000;
/** …at most this many times (about 30 s); then every market-tagged entry written before is voided (`retries_exhausted`). */
const MARKET_RETRY_LIMIT = 20;
/** A market tag another process took: if it has not said it finished within this, this process finishes the store side itself. */
const MARKET_TAKEOVER_MS = 1_500;
/** Longest an entry carrying a just-changed market's tag is missed while waiting for the store side to be done, ms. */
const UNSETTLED_MS = 2_000;
/** Bound on one `invalidateTags` store call, whose work grows with the tagged entries. */
const INVALIDATE_TIMEOUT_FLOOR_MS = 5_000;
const valueOf = <T>(result: CacheResult<T>): T => result.value;

/**
 * A read-through cache that obeys the panic: each read is judged by the breaker's
 * *current* decision (an entry is served only while its age, on the store's clock,
 * is below the current TTL), so an entry written before a panic is not served in
 * tier 1 and becomes servable again when a later tier allows. Concurrent loads of
 * one key share one loader call (optionally across processes), a failed load can
 * fall back to a stale entry, a loader that hangs is abandoned after
 * `loadTimeout.hard` (no key can be wedged), and a store that fails or hangs is
 * bypassed within `timeoutMs` (the cache fails open, the TTL fails safe).
 *
 * With `l1`, a bounded in-process copy sits in front of the store, judged by the same
 * decision and kept coherent by a Redis pub/sub bus; with tags, `invalidateTags` drops
 * related entries everywhere; `refreshAhead`, `loadTimeout.soft` and
 * `maxConcurrentLoads` keep users from waiting on, and the backend from drowning in, loads.
 */
export class AdaptiveCache {
  /** The validated options, frozen. */
  readonly options: Readonly<ResolvedAdaptiveCacheOptions>;
  readonly #breaker: TtlSource;
  readonly #store: CacheStore;
  readonly #serializer: CacheSerializer;
  readonly #guard: StoreGuard;
  readonly #flights = new SingleFlight<Outcome<unknown>>();
  readonly #events = new EventEmitter<CacheEvent>();
  readonly #results = new EventEmitter<CacheResultEvent>();
  /** Tag → data keys with a load under way carrying it, so an invalidation of the tag detaches those loads. */
  readonly #flightsByTag = new Map<string, Set<string>>();
  readonly #stats = emptyStats();
  readonly #lockNamespace: string;
  readonly #lockTtlMs: number;
  readonly #waitTimeoutMs: number;
  readonly #keepStaleSeconds: number;
  readonly #l1: L1Cache | null;
  readonly #limiter: LoadLimiter | null;
  readonly #id = randomUUID().replaceAll('-', '');
  readonly #busChannel: string;
  readonly #subscription: StoreSubscription | null;
  /** Market tags whose store side is due now, in order. */
  readonly #pendingMarketTags = new Map<string, MarketJob>();
  /** Market tags waiting to be retried (their store side failed here) or taken over (another process took them and has not said it finished). */
  readonly #retryMarketTags = new Map<string, MarketJob>();
  #retryTimer: NodeJS.Timeout | null = null;
  /** Entries carrying a `market:` tag written at or before this (ms on the store's clock) are misses: market changes overflowed what is tracked one by one. */
  #marketVoidBeforeMs = 0;
  /** An overflow came before any store answer: market-tagged entries are misses until the next answer's time becomes the cutoff. */
  #marketVoidPending = false;
  /** An upper bound of the store's clock: the last answer's time and when its command was sent (`performance.now()`). */
  #storeTime: { ms: number; sentAt: number } | null = null;
  /**
   * Market tags whose entries may still be in the store, pre-change, since `performance.now()`
   * (the store side is under way here or in another process): an entry carrying one is a miss.
   */
  readonly #unsettledTags = new Map<string, number>();
  /** Invalidation ids whose store side is done (their completion came first), briefly. */
  readonly #settledIds = new Map<string, number>();
  #draining = false;
  /** The in-process tier is bypassed until this `performance.now()` (bus messages past their bound). */
  #l1PausedUntil = 0;
  readonly #busWindow = { startedAt: 0, count: 0 };
  /** Market-change messages have their own budget: a flood of invalidations never crowds out a market's change. */
  readonly #marketWindow = { startedAt: 0, count: 0 };
  #readyWaiters: Array<() => void> = [];
  #closed = false;

  /** Subscribes to everything that happens in this cache (hits, misses, loads, store errors…; see {@link CacheEvent}). */
  readonly onCacheEvent: Event<CacheEvent> = this.#events.event;
  /** Subscribes to every `getOrLoad` that went past the in-process tier, when it settles: status, duration, age, decision (see {@link CacheResultEvent}). */
  readonly onResult: Event<CacheResultEvent> = this.#results.event;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(options: AdaptiveCacheOptions) {
    this.options = parseOptions(optionsSchema, options, 'AdaptiveCache');
    const o = this.options;
    if (o.coalesce.crossProcess && o.store.shared === false) {
      throw new InvalidConfigError('AdaptiveCache.coalesce.crossProcess', `needs a store shared between processes (RedisCacheStore), got a ${o.store.kind} store`);
    }
    const needsBus = o.l1 !== undefined || o.invalidateOn.marketChanges;
    if (needsBus && (typeof o.store.subscribe !== 'function' || typeof o.store.publish !== 'function' || o.store.shared === false)) {
      const field = o.l1 !== undefined ? 'l1' : 'invalidateOn.marketChanges';
      throw new InvalidConfigError(`AdaptiveCache.${field}`, `needs a shared store with pub/sub (RedisCacheStore) to keep processes coherent, got a ${o.store.kind} store`);
    }
    // Options that would be accepted and then never act: refused, so a typo or a misunderstanding shows at start.
    if (options.bus !== undefined && !needsBus) {
      throw new InvalidConfigError('AdaptiveCache.bus', 'acts only with l1 or invalidateOn.marketChanges (there is no bus without them)');
    }
    if (options.overload !== undefined && o.maxConcurrentLoads === undefined && o.maxConcurrentLoadsPerScope === undefined && o.refreshAhead === undefined) {
      throw new InvalidConfigError('AdaptiveCache.overload', 'acts only with maxConcurrentLoads, maxConcurrentLoadsPerScope or refreshAhead');
    }
    this.#breaker = o.shadow ? shadowSource(o.breaker) : o.breaker;
    this.#store = o.store;
    this.#serializer = o.serializer;
    this.#guard = new StoreGuard(o.timeoutMs);
    subscribeHooks(o.hooks, { onCacheEvent: this.onCacheEvent, onResult: this.onResult }, 'AdaptiveCache.hooks');
    this.#lockNamespace = `${o.namespace.slice(0, -1)}.lock:`;
    this.#busChannel = `${o.namespace.slice(0, -1)}.bus`;
    this.#lockTtlMs = o.coalesce.lockTtlMs ?? o.loadTimeout.hard + 1_000;
    this.#waitTimeoutMs = o.coalesce.waitTimeoutMs ?? o.loadTimeout.hard;
    // Entries outlive their TTL as long as something may still serve them: a failed load (staleIfErrorSeconds),
    // backend protection (overload.staleMs), or refresh ahead (the same bound, so that at a tier change from
    // TTL 0 the entries written in tier 1 serve the first reads of tier 2 instead of a miss per key).
    const keepForLoads = o.maxConcurrentLoads !== undefined || o.maxConcurrentLoadsPerScope !== undefined || o.refreshAhead !== undefined;
    this.#keepStaleSeconds = Math.max(o.staleIfErrorSeconds, keepForLoads ? o.overload.staleMs / 1000 : 0);
    this.#l1 = o.l1 ? new L1Cache(o.l1.max) : null;
    const limited = o.maxConcurrentLoads !== undefined || o.maxConcurrentLoadsPerScope !== undefined;
    this.#limiter = limited ? new LoadLimiter(o.maxConcurrentLoads ?? Number.POSITIVE_INFINITY, o.maxConcurrentLoadsPerScope ?? Number.POSITIVE_INFINITY, o.overload.maxWaiting) : null;
    const channels = needsBus ? [this.#busChannel, ...(o.invalidateOn.marketChanges ? [o.invalidateOn.marketChannel] : [])] : [];
    this.#subscription = needsBus
      ? this.#store.subscribe!(channels, { message: (channel, text) => this.#onMessage(channel, text), health: (healthy) => this.#onBusHealth(healthy) }, { heartbeatMs: o.bus.heartbeatMs, timeoutMs: o.bus.timeoutMs })
      : null;
  }

  /** Whether the in-process tier is in use now: configured, the bus subscribed and healthy, and not paused by a message flood. */
  get l1Active(): boolean {
    return this.#l1 !== null && this.#l1Open();
  }

  /** Copies held in the in-process tier (0 without one). */
  get l1Size(): number {
    return this.#l1?.size ?? 0;
  }

  /** Loader calls in flight now (counted against `maxConcurrentLoads`; 0 without it). */
  get loadsInFlight(): number {
    return this.#limiter?.inFlight ?? 0;
  }

  /**
   * Resolves true once the bus is subscribed (at once without one), or false after
   * `timeoutMs`. Until then the in-process tier is bypassed, never trusted blindly.
   */
  ready(timeoutMs = 10_000): Promise<boolean> {
    if (this.#subscription === null || this.#subscription.healthy) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Closes the bus subscription and drops the in-process tier. Does not close the store's client. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    await this.#subscription?.close();
    this.#l1?.flush(performance.now());
  }

  /**
   * The value under `key`: a fresh entry, or the loader's value (stored for the
   * current decision's TTL). See {@link getOrLoadWithMeta} for how it was obtained.
   * @throws InvalidInputError for a bad key, loader, tags or decision input; the loader's own error, unchanged, when it fails and no stale entry may stand in; LoaderTimeoutError when the load passes `loadTimeout.hard` and no stale entry may stand in; OverloadedError when `maxConcurrentLoads` refused the load.
   */
  getOrLoad<T>(key: string, loader: CacheLoader<T>, input: CacheInput): Promise<T> {
    try {
      const started = this.#start(key, loader, input);
      return started instanceof Promise ? started.then(valueOf) : Promise.resolve(started.value);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Like {@link getOrLoad}, with how the value was obtained: hit, miss, coalesced
   * or stale, the entry's age and write stamp, whether it came from the in-process
   * tier, the decision and any store failure.
   */
  getOrLoadWithMeta<T>(key: string, loader: CacheLoader<T>, input: CacheInput): Promise<CacheResult<T>> {
    try {
      const started = this.#start(key, loader, input);
      return started instanceof Promise ? started : Promise.resolve(started);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes the entry under `key` (an invalidation) from the store, this process's
   * tier and, through the bus, every other process's; true when the store had one.
   * A load of the key already under way anywhere cannot write its older value back.
   * @throws InvalidInputError for a bad key; StoreError / StoreTimeoutError when the store cannot confirm it or the bus message cannot be sent.
   */
  async delete(key: string): Promise<boolean> {
    const name = validateCacheKey(key, this.options.maxKeyLength);
    const dataKey = this.options.namespace + name;
    this.#dropLocal([dataKey], NO_TAGS);
    let had: boolean;
    try {
      had = await this.#guard.call(() => this.#store.delete(dataKey));
    } catch (error) {
      this.#storeError(name, 'delete', error);
      throw error;
    }
    const dropped = this.#dropLocal([dataKey], NO_TAGS);
    this.#emit({ type: 'invalidate', source: 'local', keys: 1, tags: 0, dropped });
    await this.#publishInvalidation([name], NO_TAGS, randomId(), true);
    return had;
  }

  /**
   * Removes every entry carrying one of `tags`, from the store (O(entries of the
   * tags): each tag indexes its entries) and from every process's in-process tier
   * (through the bus). Loads under way that carry one of the tags cannot write their
   * older value back. Returns how many indexed entries the store went through.
   * @throws InvalidInputError for bad tags; InvalidConfigError when the store has no tags; StoreError / StoreTimeoutError when the store or the bus fails.
   */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    const names = validateTags(tags, this.options.maxTagLength, 'tags', MAX_INVALIDATE_TAGS);
    if (typeof this.#store.invalidateTags !== 'function') throw new InvalidConfigError('AdaptiveCache.store', `a ${this.#store.kind} store has no tags (invalidateTags)`);
    if (names.length === 0) return 0;
    const id = randomId();
    this.#dropLocal(NO_TAGS, names);
    const removed = (await this.#invalidateInStore(names, id, true)) ?? 0;
    const dropped = this.#dropLocal(NO_TAGS, names);
    this.#emit({ type: 'invalidate', source: 'local', keys: 0, tags: names.length, dropped });
    await this.#publishInvalidation(NO_TAGS, names, id, true);
    return removed;
  }

  /** Counters since construction: hits, misses, loads, stale served, coalesced waits, store errors… */
  stats(): CacheStats {
    return { ...this.#stats };
  }

  // ——— the read path ———

  /** Validates, then serves a fresh in-process copy synchronously when the decision needs no round trip; else the async path. */
  #start<T>(key: string, loader: CacheLoader<T>, input: CacheInput): CacheResult<T> | Promise<CacheResult<T>> {
    const name = validateCacheKey(key, this.options.maxKeyLength);
    if (typeof loader !== 'function') throw new InvalidInputError('loader', 'must be a function', loader);
    const rawTags = (input as CacheInput | undefined)?.tags;
    const tags = rawTags === undefined ? NO_TAGS : validateTags(rawTags, this.options.maxTagLength);
    const dataKey = this.options.namespace + name;
    let decision: TtlDecision | null = null;
    if (this.#l1 !== null && this.#l1Open()) {
      const copy = this.#l1.get(dataKey);
      if (copy !== undefined) {
        decision = this.#breaker.peekTtl?.(input) ?? null;
        if (decision !== null) {
          const served = this.#fromCopy<T>(name, dataKey, copy, loader as CacheLoader<unknown>, input, tags, decision);
          if (served) return served;
        }
      }
    }
    if (this.#results.size === 0) return this.#slow(name, dataKey, loader as CacheLoader<unknown>, input, tags, decision) as Promise<CacheResult<T>>;
    const startedAt = performance.now();
    return this.#reported(name, input.scope, startedAt, this.#slow(name, dataKey, loader as CacheLoader<unknown>, input, tags, decision) as Promise<CacheResult<T>>);
  }

  /** Emits `onResult` when the call settles (in the caller's async context), then passes its result or error on unchanged. */
  #reported<T>(key: string, scope: string | undefined, startedAt: number, work: Promise<CacheResult<T>>): Promise<CacheResult<T>> {
    return work.then(
      (result) => {
        this.#results.emit({ key, scope, status: result.status, durationMs: performance.now() - startedAt, ageMs: result.ageMs, decision: result.decision, storeFailure: result.storeFailure });
        return result;
      },
      (error: unknown) => {
        this.#results.emit({ key, scope, status: 'error', durationMs: performance.now() - startedAt, ageMs: null, decision: null, storeFailure: null, error });
        throw error;
      },
    );
  }

  async #slow<T>(name: string, dataKey: string, loader: CacheLoader<unknown>, input: CacheInput, tags: readonly string[], known: TtlDecision | null): Promise<CacheResult<T>> {
    let decision = known;
    if (decision === null && this.#l1 !== null && this.#l1Open() && this.#l1.get(dataKey) !== undefined) {
      // A copy is here but the decision needs a round trip to the clock: that one, and no store read.
      decision = await this.#breaker.getTtl(input);
      // A decision not based on a current clock answer (the clock timed out: last known calm) cannot judge a copy.
      const current = input.vixStatus !== undefined || this.#breaker.isSynced?.(input.scope) !== false;
      const copy = current && this.#l1Open() ? this.#l1.get(dataKey) : undefined;
      const served = copy === undefined ? null : this.#fromCopy<T>(name, dataKey, copy, loader, input, tags, decision);
      if (served) return served;
    }
    let state: ReadState;
    if (decision === null) {
      const reading = this.#read(name, dataKey, 'read');
      decision = await this.#breaker.getTtl(input);
      state = await reading;
    } else {
      state = await this.#read(name, dataKey, 'read');
    }
    const storeFailure = state.ok ? null : state.failure;
    const lookup = this.#lookup<T>(name, state, decision);
    if (lookup.hit) {
      const entry = (state as ReadState & { ok: true }).read.entry!;
      this.#fillFromRead(dataKey, state as ReadState & { ok: true }, lookup.value, decision);
      this.#emit({ type: 'hit', key: name, ageMs: lookup.ageMs, decision, l1: false });
      this.#maybeRefresh(name, dataKey, loader, input, tags, decision, lookup.ageMs);
      return { value: lookup.value, status: 'hit', stale: false, ageMs: lookup.ageMs, writtenAtMs: entry.writtenAtMs, l1: false, decision, storeFailure };
    }
    this.#emit({ type: 'miss', key: name, reason: lookup.reason, decision });
    const ctx: LoadContext<unknown> = { name, dataKey, loader, decision, state, tags, scope: input.scope, background: false };
    const flight = this.#flights.run(dataKey, () => this.#tracked(dataKey, tags, () => this.#load(ctx)));
    const outcome = (await this.#awaitFlight(flight, ctx)) as Outcome<T>;
    if (!flight.joined || outcome.status === 'stale') return { ...outcome, l1: false, decision, storeFailure };
    this.#emit({ type: 'coalesced', key: name, across: 'process' });
    return { ...outcome, status: 'coalesced', l1: false, decision, storeFailure };
  }

  /** A fresh in-process copy as a result (and a refresh ahead when due), or null when the copy is too old for `decision` (it is then dropped). */
  #fromCopy<T>(name: string, dataKey: string, copy: L1Entry, loader: CacheLoader<unknown>, input: CacheInput, tags: readonly string[], decision: TtlDecision): CacheResult<T> | null {
    const ageMs = copy.ageAtFillMs + (performance.now() - copy.filledAt);
    if (!(ageMs < decision.ttl * 1000)) {
      this.#l1!.drop(dataKey);
      return null;
    }
    if (this.#events.size > 0) this.#emit({ type: 'hit', key: name, ageMs, decision, l1: true });
    else {
      // The hot path without a hook: counted, no event object built.
      this.#stats.hits += 1;
      this.#stats.l1Hits += 1;
    }
    if (this.options.refreshAhead !== undefined) this.#maybeRefresh(name, dataKey, loader, input, tags, decision, ageMs);
    return { value: copy.value as T, status: 'hit', stale: false, ageMs, writtenAtMs: copy.writtenAtMs, l1: true, decision, storeFailure: null };
  }

  /**
   * Waits for a load; past `loadTimeout.soft` (counted from when the load began), a
   * stale entry inside `staleIfErrorSeconds` is served instead and the load goes on.
   */
  async #awaitFlight<T>(flight: { promise: Promise<Outcome<unknown>>; startedAt: number }, ctx: LoadContext<T>): Promise<Outcome<unknown>> {
    const soft = this.options.loadTimeout.soft;
    if (soft === undefined || !this.#hasStale(ctx, this.options.staleIfErrorSeconds * 1000)) return flight.promise;
    const remaining = soft - (performance.now() - flight.startedAt);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, remaining))));
    flight.promise.catch(() => {});
    try {
      const first = await Promise.race([flight.promise, timedOut]);
      if (first !== null) return first;
    } finally {
      clearTimeout(timer);
    }
    const stale = this.#staleFallback<T>(ctx, 'soft_timeout', this.options.staleIfErrorSeconds * 1000);
    if (!stale) return flight.promise; // aged out of the window while waiting
    this.#emit({ type: 'soft_timeout', key: ctx.name, timeoutMs: soft });
    return stale;
  }

  /** Runs a load while indexing it under its tags (see {@link #dropLocal}). */
  async #tracked<T>(dataKey: string, tags: readonly string[], work: () => Promise<T>): Promise<T> {
    if (tags.length === 0) return work();
    for (const tag of tags) {
      let keys = this.#flightsByTag.get(tag);
      if (!keys) this.#flightsByTag.set(tag, (keys = new Set()));
      keys.add(dataKey);
    }
    try {
      return await work();
    } finally {
      for (const tag of tags) {
        const keys = this.#flightsByTag.get(tag);
        keys?.delete(dataKey);
        if (keys?.size === 0) this.#flightsByTag.delete(tag);
      }
    }
  }

  // ——— refresh ahead ———

  /** Starts one background reload of a key whose hit is older than `refreshAhead` × TTL, unless one is under way. */
  #maybeRefresh(name: string, dataKey: string, loader: CacheLoader<unknown>, input: CacheInput, tags: readonly string[], decision: TtlDecision, ageMs: number): void {
    const ratio = this.options.refreshAhead;
    if (ratio === undefined || decision.ttl <= 0 || ageMs < ratio * decision.ttl * 1000 || this.#flights.has(dataKey) || this.#closed) return;
    if (this.#limiter !== null && !this.#limiter.hasRoom(input.scope)) {
      this.#emit({ type: 'refresh', key: name, outcome: 'skipped', durationMs: 0 });
      return;
    }
    const startedAt = performance.now();
    const flight = this.#flights.run(dataKey, () => this.#tracked(dataKey, tags, () => this.#refresh(name, dataKey, loader, input, tags, decision)));
    flight.promise.then(
      (outcome) => this.#emit({ type: 'refresh', key: name, outcome: outcome.status === 'miss' ? 'ok' : outcome.status === 'stale' ? 'error' : 'shared', durationMs: performance.now() - startedAt }),
      (error: unknown) => this.#emit({ type: 'refresh', key: name, outcome: refreshFailure(error), durationMs: performance.now() - startedAt }),
    );
  }

  /** A refresh: the store first (another process may have refreshed already), then a load like any other. */
  async #refresh(name: string, dataKey: string, loader: CacheLoader<unknown>, input: CacheInput, tags: readonly string[], decision: TtlDecision): Promise<Outcome<unknown>> {
    const state = await this.#read(name, dataKey, 'read');
    if (state.ok && state.read.entry && !this.#unsettled(state.read.entry)) {
      const ageMs = Math.max(0, state.read.nowMs - state.read.entry.writtenAtMs);
      if (ageMs < this.options.refreshAhead! * decision.ttl * 1000) {
        const decoded = this.#decode(name, state.read.entry.payload);
        if (decoded.ok) {
          this.#fillFromRead(dataKey, state, decoded.value, decision);
          return { value: decoded.value, status: 'coalesced', stale: false, ageMs, writtenAtMs: state.read.entry.writtenAtMs };
        }
      }
    }
    return this.#load({ name, dataKey, loader, decision, state, tags, scope: input.scope, background: true });
  }

  // ——— the load path ———

  async #load<T>(ctx: LoadContext<T>): Promise<Outcome<T>> {
    let lockToken: string | null = null;
    if (this.options.coalesce.crossProcess && ctx.state.ok) {
      const coordination = await this.#coordinate(ctx);
      if ('shared' in coordination) return coordination.shared;
      lockToken = coordination.lockToken;
    }
    try {
      return await this.#callLoader(ctx);
    } finally {
      if (lockToken !== null) void this.#unlock(ctx.name, lockToken);
    }
  }

  /**
   * Cross-process single flight: take the key's lock and load, or wait for the
   * holder's entry. An entry written after this call's own read began is accepted
   * even at TTL 0 — one backend call serves the whole herd. Gives up waiting after
   * `waitTimeoutMs`, or at once if the store fails, and then loads itself.
   */
  async #coordinate<T>(ctx: LoadContext<T>): Promise<Coordination<T>> {
    if (!ctx.state.ok) return { lockToken: null };
    const token = randomUUID();
    const first = await this.#tryLock(ctx.name, token);
    if (first !== false) return { lockToken: first ? token : null };
    const sinceMs = ctx.state.read.nowMs;
    const deadline = performance.now() + this.#waitTimeoutMs;
    for (let delay = FIRST_POLL_MS; performance.now() < deadline; delay = Math.min(MAX_POLL_MS, delay * 1.5)) {
      await sleep(Math.max(1, Math.min(delay, deadline - performance.now())));
      const state = await this.#read(ctx.name, ctx.dataKey, 'read');
      if (!state.ok) return { lockToken: null };
      const shared = this.#sharedEntry<T>(ctx, state, sinceMs);
      if (shared) return { shared };
      const won = await this.#tryLock(ctx.name, token);
      if (won === null) return { lockToken: null };
      if (won) return this.#afterTakeover(ctx, token, sinceMs);
    }
    return { lockToken: null };
  }

  /** The previous holder left (its load failed or it died): one last look for its entry before loading. */
  async #afterTakeover<T>(ctx: LoadContext<T>, token: string, sinceMs: number): Promise<Coordination<T>> {
    const state = await this.#read(ctx.name, ctx.dataKey, 'read');
    const shared = state.ok ? this.#sharedEntry<T>(ctx, state, sinceMs) : null;
    if (!shared) return { lockToken: token };
    void this.#unlock(ctx.name, token);
    return { shared };
  }

  #sharedEntry<T>(ctx: LoadContext<T>, state: ReadState & { ok: true }, sinceMs: number): Outcome<T> | null {
    const entry = state.read.entry;
    if (!entry || this.#unsettled(entry)) return null;
    const ageMs = Math.max(0, state.read.nowMs - entry.writtenAtMs);
    if (entry.writtenAtMs < sinceMs && !(ageMs < ctx.decision.ttl * 1000)) return null;
    const decoded = this.#decode<T>(ctx.name, entry.payload);
    if (!decoded.ok) return null;
    this.#fillFromRead(ctx.dataKey, state, decoded.value, ctx.decision);
    this.#emit({ type: 'coalesced', key: ctx.name, across: 'processes' });
    return { value: decoded.value, status: 'coalesced', stale: false, ageMs, writtenAtMs: entry.writtenAtMs };
  }

  async #callLoader<T>(ctx: LoadContext<T>): Promise<Outcome<T>> {
    let slot: LoadSlot = null;
    if (this.#limiter !== null) {
      const admitted = await this.#admit(ctx);
      if ('outcome' in admitted) return admitted.outcome;
      slot = admitted.slot;
    }
    try {
      const settled = await this.#runLoader(ctx);
      if (!settled.ok) {
        const stale = this.#staleFallback<T>(ctx, settled.error, this.options.staleIfErrorSeconds * 1000);
        if (stale) return stale;
        throw settled.error;
      }
      const writtenAtMs = await this.#write(ctx, settled.value);
      return { value: settled.value, status: 'miss', stale: false, ageMs: null, writtenAtMs };
    } finally {
      slot?.release();
    }
  }

  /**
   * Backend protection at `maxConcurrentLoads`: a load slot; else a stale entry
   * younger than `overload.staleMs`; else a slot within `overload.waitMs`; else
   * {@link OverloadedError}. A background reload never waits.
   */
  async #admit<T>(ctx: LoadContext<T>): Promise<{ slot: NonNullable<LoadSlot> } | { outcome: Outcome<T> }> {
    const limiter = this.#limiter!;
    const scope = ctx.scope ?? 'global';
    const slot = limiter.tryAcquire(ctx.scope);
    if (slot) return { slot };
    const inFlight = limiter.inFlight;
    if (ctx.background) throw new OverloadedError(ctx.name, inFlight, 0);
    const stale = this.#staleFallback<T>(ctx, 'overloaded', this.options.overload.staleMs);
    if (stale) {
      this.#emit({ type: 'overload', key: ctx.name, scope, outcome: 'stale', inFlight });
      return { outcome: stale };
    }
    const waited = await limiter.acquire(ctx.scope, this.options.overload.waitMs);
    if (waited) {
      this.#emit({ type: 'overload', key: ctx.name, scope, outcome: 'waited', inFlight });
      return { slot: waited };
    }
    this.#emit({ type: 'overload', key: ctx.name, scope, outcome: 'rejected', inFlight });
    throw new OverloadedError(ctx.name, inFlight, this.options.overload.waitMs);
  }

  /**
   * Calls the loader under `loadTimeout.hard`; never rejects. Past the bound the
   * result is a {@link LoaderTimeoutError}, the loader's signal is aborted, and what
   * the loader settles with later is only counted (`late_load`): it is never
   * written, because its age is unknown (it would be stamped as fresh when written)
   * and a newer load may already have stored a fresher value.
   */
  #runLoader<T>(ctx: LoadContext<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const hardMs = this.options.loadTimeout.hard;
    const started = performance.now();
    const controller = new AbortController();
    return new Promise((resolve) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        const error = new LoaderTimeoutError(ctx.name, hardMs);
        this.#emit({ type: 'load_timeout', key: ctx.name, timeoutMs: hardMs });
        resolve({ ok: false, error });
        controller.abort(error);
      }, hardMs);
      const settle = (ok: boolean, valueOrError: unknown): void => {
        const durationMs = performance.now() - started;
        if (timedOut) {
          this.#emit({ type: 'late_load', key: ctx.name, ok, durationMs });
          return;
        }
        clearTimeout(timer);
        this.#emit({ type: 'load', key: ctx.name, ok, durationMs });
        resolve(ok ? { ok: true, value: valueOrError as T } : { ok: false, error: valueOrError });
      };
      let pending: Promise<T>;
      try {
        pending = Promise.resolve(ctx.loader({ key: ctx.name, decision: ctx.decision, signal: controller.signal }));
      } catch (error) {
        settle(false, error);
        return;
      }
      pending.then(
        (value) => settle(true, value),
        (error: unknown) => settle(false, error),
      );
    });
  }

  /** Whether the entry read at the start of the call could stand in within `windowMs`. */
  #hasStale<T>(ctx: LoadContext<T>, windowMs: number): boolean {
    if (windowMs === 0 || !ctx.state.ok || !ctx.state.read.entry || this.#unsettled(ctx.state.read.entry)) return false;
    const { read, localMs } = ctx.state;
    return Math.max(0, read.nowMs - read.entry!.writtenAtMs) + (performance.now() - localMs) < windowMs;
  }

  /** The entry read at the start of the call, if it is younger than `windowMs`. */
  #staleFallback<T>(ctx: LoadContext<T>, error: unknown, windowMs: number): Outcome<T> | null {
    if (!this.#hasStale(ctx, windowMs)) return null;
    const { read, sentAt } = ctx.state as ReadState & { ok: true };
    const entry = read.entry!;
    // Measured from when the read was sent: an upper bound on the age now.
    const ageMs = Math.max(0, read.nowMs - entry.writtenAtMs) + (performance.now() - sentAt);
    if (!(ageMs < windowMs)) return null;
    const decoded = this.#decode<T>(ctx.name, entry.payload);
    if (!decoded.ok) return null;
    this.#emit({ type: 'stale', key: ctx.name, ageMs, error });
    return { value: decoded.value, status: 'stale', stale: true, ageMs, writtenAtMs: entry.writtenAtMs };
  }

  /**
   * Stores a loaded value (indexed under its tags first), unless an invalidation of
   * its key or tags came after the read that preceded the load; keeps an in-process
   * copy and tells the other processes to drop theirs. Returns the stamp, or null
   * when nothing was stored.
   */
  async #write<T>(ctx: LoadContext<T>, value: T): Promise<number | null> {
    const floorMs = this.options.coalesce.crossProcess ? this.#waitTimeoutMs : 0;
    const expiryMs = physicalExpiryMs(ctx.decision.ttl, this.#keepStaleSeconds, floorMs);
    if (expiryMs === 0) return null;
    let payload: unknown;
    try {
      payload = this.#serializer.serialize(value);
    } catch (error) {
      this.#emit({ type: 'not_cached', key: ctx.name, reason: `serialize failed: ${messageOf(error)}` });
      return null;
    }
    if (typeof payload !== 'string') {
      this.#emit({ type: 'not_cached', key: ctx.name, reason: `serializer returned ${typeof payload}, not a string` });
      return null;
    }
    const tagKeys = ctx.tags.map((tag) => tagIndexKey(this.options.namespace, tag));
    const loadedAfterMs = ctx.state.ok ? ctx.state.read.nowMs : undefined;
    if (this.#voidsLoad(ctx.tags, loadedAfterMs)) {
      this.#emit({ type: 'not_cached', key: ctx.name, reason: 'market changes overflowed while loading' });
      return null;
    }
    const sentAt = performance.now();
    try {
      const written = await this.#guard.call(() => this.#store.write(ctx.dataKey, payload as string, expiryMs, { tags: ctx.tags, tagKeys, loadedAfterMs }), ctx.dataKey);
      if (!written.written) {
        this.#emit({ type: 'not_cached', key: ctx.name, reason: written.reason === 'invalidated' ? 'invalidated while loading' : 'load older than the invalidations the store remembers' });
        return null;
      }
      this.#noteStoreTime(written.writtenAtMs, sentAt);
      if (this.#voidsLoad(ctx.tags, loadedAfterMs)) {
        // Market changes overflowed while the write was under way: the value may predate one of them, and its stamp may be past the cutoff.
        void this.#guard.call(() => this.#store.delete(ctx.dataKey)).catch((error: unknown) => this.#storeError(ctx.name, 'delete', error));
        this.#emit({ type: 'not_cached', key: ctx.name, reason: 'market changes overflowed while loading' });
        return null;
      }
      if (this.#l1 !== null && ctx.decision.ttl > 0 && this.#l1Open()) {
        this.#l1.fill(ctx.dataKey, { value, writtenAtMs: written.writtenAtMs, ageAtFillMs: 0, filledAt: sentAt, tags: ctx.tags });
      }
      if (this.#l1 !== null) void this.#publishInvalidation([ctx.name], NO_TAGS, randomId(), false);
      return written.writtenAtMs;
    } catch (error) {
      this.#storeError(ctx.name, 'write', error);
      return null;
    }
  }

  /** A store read that never rejects: a failure is a state, and the cache fails open. */
  async #read(name: string, dataKey: string, operation: StoreOperation): Promise<ReadState> {
    const sentAt = performance.now();
    try {
      const read = await this.#guard.call(() => this.#store.read(dataKey));
      this.#noteStoreTime(read.nowMs, sentAt);
      if (read.corrupt) this.#emit({ type: 'corrupt', key: name, reason: read.corrupt });
      return { ok: true, read, localMs: performance.now(), sentAt };
    } catch (error) {
      return { ok: false, failure: this.#storeError(name, operation, error) };
    }
  }

  /** Keeps an in-process copy of an entry just read (its age measured from when the read was sent). */
  #fillFromRead(dataKey: string, state: ReadState & { ok: true }, value: unknown, decision: TtlDecision): void {
    if (this.#l1 === null || decision.ttl <= 0 || !this.#l1Open()) return;
    const entry = state.read.entry!;
    // + 1 ms: both stamps are whole ms on the store's clock, so their difference may fall short of the age by just under 1 ms.
    this.#l1.fill(dataKey, { value, writtenAtMs: entry.writtenAtMs, ageAtFillMs: Math.max(0, state.read.nowMs - entry.writtenAtMs) + 1, filledAt: state.sentAt, tags: entry.tags });
  }

  #lookup<T>(name: string, state: ReadState, decision: TtlDecision): Lookup<T> {
    if (!state.ok) return { hit: false, reason: 'store_unavailable' };
    const entry = state.read.entry;
    if (!entry) return { hit: false, reason: state.read.corrupt ? 'corrupt' : 'absent' };
    const ageMs = Math.max(0, state.read.nowMs - entry.writtenAtMs);
    if (!(ageMs < decision.ttl * 1000)) return { hit: false, reason: 'expired' };
    if (this.#unsettled(entry)) return { hit: false, reason: 'invalidated' };
    const decoded = this.#decode<T>(name, entry.payload);
    return decoded.ok ? { hit: true, value: decoded.value, ageMs } : { hit: false, reason: 'corrupt' };
  }

  #decode<T>(name: string, payload: string): { ok: true; value: T } | { ok: false } {
    try {
      return { ok: true, value: this.#serializer.deserialize(payload) as T };
    } catch (error) {
      this.#emit({ type: 'corrupt', key: name, reason: `deserialize failed: ${messageOf(error)}` });
      return { ok: false };
    }
  }

  /** true: held; false: someone else holds it; null: the store failed (load without a lock). */
  async #tryLock(name: string, token: string): Promise<boolean | null> {
    try {
      return await this.#guard.call(() => this.#store.tryLock(this.#lockNamespace + name, token, this.#lockTtlMs));
    } catch (error) {
      this.#storeError(name, 'lock', error);
      return null;
    }
  }

  async #unlock(name: string, token: string): Promise<void> {
    try {
      await this.#guard.call(() => this.#store.unlock(this.#lockNamespace + name, token));
    } catch (error) {
      this.#storeError(name, 'unlock', error);
    }
  }

  // ——— invalidation and the bus ———

  /** Whether in-process copies may be served and filled now. */
  #l1Open(): boolean {
    return this.#subscription !== null && this.#subscription.healthy && !this.#closed && (this.#l1PausedUntil === 0 || performance.now() >= this.#l1PausedUntil);
  }

  /**
   * Drops in-process copies of data keys and tags, remembering when (reads sent before
   * cannot fill them), and detaches the loads under way for them: their callers keep
   * their value, but a caller arriving now starts a new load instead of sharing one
   * that began before the invalidation.
   */
  #dropLocal(dataKeys: readonly string[], tags: readonly string[]): number {
    for (const key of dataKeys) this.#flights.forget(key);
    for (const tag of tags) for (const key of this.#flightsByTag.get(tag) ?? []) this.#flights.forget(key);
    if (this.#l1 === null) return 0;
    const now = performance.now();
    let dropped = 0;
    for (const key of dataKeys) if (this.#l1.invalidateKey(key, now)) dropped += 1;
    for (const tag of tags) dropped += this.#l1.invalidateTag(tag, now);
    return dropped;
  }

  /** Tells the other processes to drop copies; `strict`: a failure is thrown (an explicit invalidation), else only counted. */
  async #publishInvalidation(keys: readonly string[], tags: readonly string[], id: string, strict: boolean): Promise<void> {
    if (typeof this.#store.publish !== 'function' || (this.#subscription === null && !strict)) return;
    const message = encodeInvalidation({ src: this.#id, id, keys: [...keys], tags: [...tags] });
    try {
      await this.#guard.call(() => this.#store.publish!(this.#busChannel, message));
    } catch (error) {
      this.#storeError(keys[0] ?? tags[0] ?? '', 'publish', error);
      if (strict) throw error;
    }
  }

  /**
   * Tag invalidation in the store, bounded in time (its work grows with the entries
   * tagged). Only index members inside the namespace are touched; any other is
   * counted as corrupt. Null when the store failed and `strict` is false.
   */
  async #invalidateInStore(tags: readonly string[], id: string, strict: boolean, resume = false): Promise<number | null> {
    const tagKeys = tags.map((tag) => tagIndexKey(this.options.namespace, tag));
    const boundMs = Math.max(INVALIDATE_TIMEOUT_FLOOR_MS, 100 * this.options.timeoutMs);
    const onForeign = (member: string): void => this.#emit({ type: 'corrupt', key: tags[0] ?? '', reason: `tag index member outside the namespace, left alone: ${member.slice(0, 80)}` });
    try {
      return await withTimeout(this.#store.invalidateTags!(tagKeys, id, { keyPrefix: this.options.namespace, onForeign, resume }), boundMs);
    } catch (error) {
      this.#storeError(tags[0] ?? '', 'invalidate', error);
      if (strict) throw error;
      return null;
    }
  }

  #onBusHealth(healthy: boolean): void {
    // Either way the copies go: while down, an invalidation may be missed; once back, some may have been.
    this.#l1?.flush(performance.now());
    this.#emit({ type: 'bus', state: healthy ? 'up' : 'down' });
    if (!healthy) return;
    for (const wake of this.#readyWaiters.splice(0)) wake();
  }

  #onMessage(channel: string, text: string): void {
    if (channel === this.#busChannel) {
      if (!this.#withinRate(this.#busWindow)) return this.#busOverflow();
      const message = parseInvalidation(text, this.options.maxKeyLength, this.options.maxTagLength);
      if (!message) return this.#emit({ type: 'bus_rejected', reason: 'malformed' });
      for (const tag of message.tags) this.#settled(tag, message.id); // a market tag's store side is done
      this.#remember(this.#settledIds, message.id);
      if (message.src === this.#id) return;
      const dropped = this.#dropLocal(message.keys.map((k) => this.options.namespace + k), message.tags);
      this.#emit({ type: 'invalidate', source: 'bus', keys: message.keys.length, tags: message.tags.length, dropped });
      return;
    }
    if (channel !== this.options.invalidateOn.marketChannel) return;
    // A market change is never ignored: past its budget every market-tagged entry is voided instead.
    if (!this.#withinRate(this.#marketWindow)) return this.#voidMarketEntries('market_flood');
    const change = parseMarketChange(text);
    if (!change) return this.#emit({ type: 'bus_rejected', reason: 'malformed' });
    if (change.all === true) return this.#voidMarketEntries('publisher_overflow');
    const tags = change.markets.map(marketTag).filter((tag) => tag.length <= this.options.maxTagLength);
    const dropped = this.#dropLocal(NO_TAGS, tags);
    this.#emit({ type: 'invalidate', source: 'market', keys: 0, tags: tags.length, dropped });
    if (this.#settledIds.has(change.id)) return; // another process finished it before this message arrived
    for (const tag of tags) {
      const tracked = this.#pendingMarketTags.has(tag) || this.#retryMarketTags.has(tag) || this.#unsettledTags.has(tag);
      if (!tracked && this.#pendingMarketTags.size + this.#retryMarketTags.size + this.#unsettledTags.size >= MAX_PENDING_MARKET_TAGS) {
        // Not tracked one by one: this process voids every market-tagged entry written before (the other processes do the tag's store side).
        this.#voidMarketEntries(this.#pendingMarketTags.size >= this.#unsettledTags.size ? 'pending_full' : 'unsettled_full');
        break;
      }
      this.#unsettledTags.delete(tag);
      this.#unsettledTags.set(tag, performance.now());
      this.#retryMarketTags.delete(tag); // a newer change supersedes a retry
      this.#pendingMarketTags.delete(tag);
      this.#pendingMarketTags.set(tag, { id: change.id, attempt: 0, dueAt: 0, resume: false });
    }
    void this.#drainMarketTags();
  }

  /**
   * The store side of market changes, one tag at a time: the first process of the
   * namespace to take a tag for a message does the work (the others find the
   * message's id on the tag's tombstone, and finish it themselves if the taker does
   * not say it finished within {@link MARKET_TAKEOVER_MS}) and then tells every process
   * to drop its copies again, since some may have been filled from entries not yet
   * removed. A failure keeps the tag unsettled (its entries missed) and retries it
   * with a bounded backoff; nothing is dropped silently.
   */
  async #drainMarketTags(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#pendingMarketTags.size > 0 && !this.#closed) {
        const [tag, job] = this.#pendingMarketTags.entries().next().value as [string, MarketJob];
        this.#pendingMarketTags.delete(tag);
        const removed = await this.#invalidateInStore([tag], job.id, false, job.resume);
        if (this.#pendingMarketTags.has(tag) || this.#retryMarketTags.has(tag)) continue; // a newer change of the market came meanwhile: its job does the work
        if (removed === null) {
          this.#retryLater(tag, job);
          continue;
        }
        if (removed === -1 && !this.#settledIds.has(job.id)) {
          // Another process took it: its completion message settles the tag; if none comes, this process finishes it.
          this.#schedule(tag, { id: job.id, attempt: job.attempt, dueAt: performance.now() + MARKET_TAKEOVER_MS, resume: true });
          continue;
        }
        this.#unsettledTags.delete(tag);
        if (removed === -1) continue;
        this.#dropLocal(NO_TAGS, [tag]);
        // Tells every process the store side is done (they drop copies filled meanwhile, and stop missing on the tag).
        await this.#publishInvalidation(NO_TAGS, [tag], job.id, false);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** A market tag whose store side failed: retried after a doubling delay (capped), at most {@link MARKET_RETRY_LIMIT} times. */
  #retryLater(tag: string, job: MarketJob): void {
    if (job.attempt + 1 >= MARKET_RETRY_LIMIT || this.#retryMarketTags.size >= MAX_PENDING_MARKET_TAGS) {
      this.#voidMarketEntries(job.attempt + 1 >= MARKET_RETRY_LIMIT ? 'retries_exhausted' : 'pending_full');
      return;
    }
    const delayMs = Math.min(MARKET_RETRY_MAX_MS, MARKET_RETRY_FIRST_MS * 2 ** job.attempt);
    // A retry finishes what the failed attempt may have begun under the same id.
    this.#schedule(tag, { id: job.id, attempt: job.attempt + 1, dueAt: performance.now() + delayMs, resume: true });
  }

  /** Keeps a market tag for later (it stays unsettled meanwhile) and arms the timer for the earliest job. */
  #schedule(tag: string, job: MarketJob): void {
    this.#retryMarketTags.set(tag, job);
    if (this.#closed) return;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    let earliest = Number.POSITIVE_INFINITY;
    for (const waiting of this.#retryMarketTags.values()) earliest = Math.min(earliest, waiting.dueAt);
    this.#retryTimer = setTimeout(() => this.#runDue(), Math.max(0, earliest - performance.now()));
    this.#retryTimer.unref?.();
  }

  /** Moves the jobs that are due to the queue and drains it. */
  #runDue(): void {
    this.#retryTimer = null;
    const now = performance.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const [tag, job] of this.#retryMarketTags) {
      if (job.dueAt > now) {
        earliest = Math.min(earliest, job.dueAt);
        continue;
      }
      this.#retryMarketTags.delete(tag);
      this.#pendingMarketTags.set(tag, job);
    }
    if (earliest !== Number.POSITIVE_INFINITY && !this.#closed) {
      this.#retryTimer = setTimeout(() => this.#runDue(), Math.max(0, earliest - now));
      this.#retryTimer.unref?.();
    }
    void this.#drainMarketTags();
  }

  /** A completion message for `tag` (another process, or this one, did its store side under `id`). */
  #settled(tag: string, id: string): void {
    this.#unsettledTags.delete(tag);
    if (this.#retryMarketTags.get(tag)?.id === id) this.#retryMarketTags.delete(tag);
    if (this.#pendingMarketTags.get(tag)?.id === id) this.#pendingMarketTags.delete(tag);
  }

  /**
   * Market changes overflowed what is tracked one by one: every entry carrying a
   * `market:` tag written up to now (an upper bound of the store's clock) is a miss
   * from now on, loads begun before cannot store their value, no caller joins them,
   * and in-process copies are flushed. Counted (`market_overflow`), never silent.
   */
  #voidMarketEntries(reason: MarketOverflowReason): void {
    const time = this.#storeTime;
    if (time === null) this.#marketVoidPending = true;
    else this.#marketVoidBeforeMs = Math.max(this.#marketVoidBeforeMs, Math.ceil(time.ms + (performance.now() - time.sentAt)) + 1);
    this.#unsettledTags.clear(); // covered by the cutoff: an entry written after it was loaded after these changes arrived
    for (const [tag, keys] of this.#flightsByTag) if (isMarketTag(tag)) for (const key of keys) this.#flights.forget(key);
    this.#l1?.flush(performance.now());
    this.#emit({ type: 'market_overflow', reason });
  }

  /** Whether a load carrying `tags`, whose read came at `loadedAfterMs` on the store's clock, may predate a voided market change. */
  #voidsLoad(tags: readonly string[], loadedAfterMs: number | undefined): boolean {
    if (!this.#marketVoidPending && this.#marketVoidBeforeMs === 0) return false;
    if (!tags.some(isMarketTag)) return false;
    return this.#marketVoidPending || loadedAfterMs === undefined || loadedAfterMs <= this.#marketVoidBeforeMs;
  }

  #noteStoreTime(ms: number, sentAt: number): void {
    this.#storeTime = { ms, sentAt };
    if (!this.#marketVoidPending) return;
    this.#marketVoidPending = false;
    this.#marketVoidBeforeMs = Math.max(this.#marketVoidBeforeMs, ms);
  }

  /**
   * Whether an entry carries a market tag whose store side is not known to be done:
   * a job for it is queued or retried here, it was marked less than
   * {@link UNSETTLED_MS} ago, or it was written before a market overflow.
   */
  #unsettled(entry: { tags: readonly string[]; writtenAtMs: number }): boolean {
    const { tags } = entry;
    if (tags.length === 0) return false;
    if ((this.#marketVoidPending || entry.writtenAtMs <= this.#marketVoidBeforeMs) && tags.some(isMarketTag)) return true;
    if (this.#unsettledTags.size === 0 && this.#retryMarketTags.size === 0 && this.#pendingMarketTags.size === 0) return false;
    const now = performance.now();
    for (const tag of tags) {
      if (this.#pendingMarketTags.has(tag) || this.#retryMarketTags.has(tag)) return true;
      const since = this.#unsettledTags.get(tag);
      if (since === undefined) continue;
      if (now - since < UNSETTLED_MS) return true;
      this.#unsettledTags.delete(tag);
    }
    return false;
  }

  /** Records a name with the time now in a bounded map (oldest forgotten first). */
  #remember(map: Map<string, number>, name: string): void {
    map.delete(name);
    map.set(name, performance.now());
    if (map.size > MAX_PENDING_MARKET_TAGS) map.delete(map.keys().next().value!);
  }

  /** Counts one message in a one-second window; false past `bus.maxMessagesPerSecond`. */
  #withinRate(window: { startedAt: number; count: number }): boolean {
    const now = performance.now();
    if (now - window.startedAt >= 1000) {
      window.startedAt = now;
      window.count = 0;
    }
    window.count += 1;
    return window.count <= this.options.bus.maxMessagesPerSecond;
  }

  /** Invalidation messages past their bound: the in-process tier is flushed and bypassed for the rest of the second (one might have been an invalidation). */
  #busOverflow(): void {
    const now = performance.now();
    if (this.#l1PausedUntil < now) this.#l1?.flush(now);
    this.#l1PausedUntil = this.#busWindow.startedAt + 1000;
    this.#emit({ type: 'bus_rejected', reason: 'overflow' });
  }

  #storeError(name: string, operation: StoreOperation, error: unknown): StoreFailure {
    const failure = storeFailureOf(error);
    this.#emit({ type: 'store_error', key: name, operation, failure });
    return failure;
  }

  #emit(event: CacheEvent): void {
    countEvent(this.#stats, event);
    this.#events.emit(event);
  }
}

/** A random id for an invalidation (bus messages, tag tombstones). */
function randomId(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * A decision source whose answers are the caller's base TTL, with the source's decision
 * as `shadow` (see `AdaptiveCache`'s `shadow` option). `getTtl` validates the input
 * before anything is read from it.
 */
function shadowSource(source: TtlSource): TtlSource {
  const shadowed: TtlSource = { getTtl: async (input) => shadowDecision(input.baseTtl, await source.getTtl(input)) };
  if (typeof source.isSynced === 'function') shadowed.isSynced = source.isSynced.bind(source);
  if (typeof source.peekTtl !== 'function') return shadowed;
  const peek = source.peekTtl.bind(source);
  shadowed.peekTtl = (input) => {
    const decision = peek(input);
    return decision === null ? null : shadowDecision(input.baseTtl, decision);
  };
  return shadowed;
}

function refreshFailure(error: unknown): RefreshOutcome {
  if (error instanceof OverloadedError) return 'skipped';
  if (error instanceof LoaderTimeoutError) return 'timeout';
  return 'error';
}
