import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { GetTtlInput, VixCircuitBreaker } from '../breaker/vix-circuit-breaker.js';
import { EventEmitter, subscribeHooks, type Event } from '../core/event.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { InvalidConfigError, InvalidInputError, LoaderTimeoutError, messageOf } from '../core/errors.js';
import type { TtlDecision } from '../policy/ttl-decision.js';
import { countEvent, emptyStats, type CacheEvent, type CacheHooks, type CacheStats, type MissReason, type StoreOperation } from './cache-events.js';
import { validateCacheKey } from './cache-key.js';
import { jsonSerializer, type CacheSerializer } from './cache-serializer.js';
import type { CacheStore, StoreRead } from './cache-store.js';
import { physicalExpiryMs } from './physical-expiry.js';
import { SingleFlight } from './single-flight.js';
import { StoreGuard } from '../core/store-guard.js';
import { storeFailureOf, type StoreFailure } from '../core/store-failure.js';

/** Where a decision comes from: a {@link VixCircuitBreaker}, or anything with its `getTtl`. */
export type TtlSource = Pick<VixCircuitBreaker, 'getTtl'>;

/** How concurrent loads of one key are shared. */
export interface CoalesceOptions {
  /**
   * Also share loads between processes through a short Redis lock (`SET NX PX`):
   * the process that takes it loads, the others wait for its entry. Needs a shared
   * store. Default false (loads are shared within a process only).
   */
  crossProcess?: boolean | undefined;
  /** How long the lock lives if its holder dies mid-load. Default 5,000 ms. */
  lockTtlMs?: number | undefined;
  /** Longest a process waits for another's load before calling the loader itself. Default 5,000 ms. */
  waitTimeoutMs?: number | undefined;
}

/** Bounds on one loader call. */
export interface LoadTimeoutOptions {
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

/** Options of {@link AdaptiveCache}. */
export interface AdaptiveCacheOptions {
  /** Decides each read's TTL (the breaker's *current* decision). */
  breaker: TtlSource;
  /** Where entries live: a {@link RedisCacheStore} or a {@link MemoryCacheStore}. */
  store: CacheStore;
  /** Prefix of every key, ending with `:`. Default `vix-ttl:cache:`; locks live under `<namespace minus ':'>.lock:`. */
  namespace?: string | undefined;
  /** Default JSON. */
  serializer?: CacheSerializer | undefined;
  /** How old an entry may be to stand in for a load that failed. Default 0 (the loader's error propagates). */
  staleIfErrorSeconds?: number | undefined;
  coalesce?: CoalesceOptions | undefined;
  /** Bounds on a loader call (`hard`, default 10 s). */
  loadTimeout?: LoadTimeoutOptions | undefined;
  /** Longest wait for the store per call; past it the cache fails open (the loader is called). Default 50 ms. */
  timeoutMs?: number | undefined;
  /** Longest key accepted, in characters. Default 512. */
  maxKeyLength?: number | undefined;
  /** Listeners subscribed at construction: a shorthand for `cache.onCacheEvent(fn)` (see {@link CacheHooks}). */
  hooks?: CacheHooks | undefined;
}

/** How a value was obtained. */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'coalesced';

/** A value and how it was obtained, from {@link AdaptiveCache.getOrLoadWithMeta}. */
export interface CacheResult<T> {
  value: T;
  /**
   * `hit`: a fresh entry; `miss`: this call ran the loader; `coalesced`: this call
   * shared another caller's load (same process or another); `stale`: the loader
   * failed and an entry inside the stale window was served.
   */
  status: CacheStatus;
  /** True exactly when `status` is `stale`. */
  stale: boolean;
  /** Age of the served entry in ms on the store's clock, or null for a value this call (or a caller it joined) just loaded. */
  ageMs: number | null;
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

const optionsSchema = z.strictObject({
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
      lockTtlMs: z.number().int().min(1).max(600_000).default(5_000),
      waitTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    })
    .prefault({}),
  loadTimeout: z
    .strictObject({
      hard: z.number().int().min(1).max(600_000).default(10_000),
    })
    .prefault({}),
  timeoutMs: z.number().positive().max(60_000).default(50),
  maxKeyLength: z.number().int().min(1).max(65_536).default(512),
  hooks: hooksOption<CacheHooks>(),
});

/** The validated options of an {@link AdaptiveCache}. */
export type ResolvedAdaptiveCacheOptions = z.output<typeof optionsSchema>;

type ReadState = { ok: true; read: StoreRead; localMs: number } | { ok: false; failure: StoreFailure };
type Lookup<T> = { hit: true; value: T; ageMs: number } | { hit: false; reason: MissReason };
type Outcome<T> = Pick<CacheResult<T>, 'value' | 'status' | 'stale' | 'ageMs'>;
type Coordination<T> = { shared: Outcome<T> } | { lockToken: string | null };

interface LoadContext<T> {
  name: string;
  dataKey: string;
  loader: CacheLoader<T>;
  decision: TtlDecision;
  state: ReadState;
}

const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

/**
 * A read-through cache that obeys the panic: each read is judged by the breaker's
 * *current* decision (an entry is served only while its age, on the store's clock,
 * is below the current TTL), so an entry written before a panic is not served in
 * tier 1 and becomes servable again when a later tier allows. Concurrent loads of
 * one key share one loader call (optionally across processes), a failed load can
 * fall back to a stale entry, a loader that hangs is abandoned after
 * `loadTimeout.hard` (no key can be wedged), and a store that fails or hangs is
 * bypassed within `timeoutMs` (the cache fails open, the TTL fails safe).
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
  readonly #stats = emptyStats();
  readonly #lockNamespace: string;

  /** Subscribes to everything that happens in this cache (hits, misses, loads, store errors…; see {@link CacheEvent}). */
  readonly onCacheEvent: Event<CacheEvent> = this.#events.event;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(options: AdaptiveCacheOptions) {
    this.options = parseOptions(optionsSchema, options, 'AdaptiveCache');
    if (this.options.coalesce.crossProcess && this.options.store.shared === false) {
      throw new InvalidConfigError('AdaptiveCache.coalesce.crossProcess', `needs a store shared between processes (RedisCacheStore), got a ${this.options.store.kind} store`);
    }
    this.#breaker = this.options.breaker;
    this.#store = this.options.store;
    this.#serializer = this.options.serializer;
    this.#guard = new StoreGuard(this.options.timeoutMs);
    subscribeHooks(this.options.hooks, { onCacheEvent: this.onCacheEvent }, 'AdaptiveCache.hooks');
    this.#lockNamespace = `${this.options.namespace.slice(0, -1)}.lock:`;
  }

  /**
   * The value under `key`: a fresh entry, or the loader's value (stored for the
   * current decision's TTL). See {@link getOrLoadWithMeta} for how it was obtained.
   * @throws InvalidInputError for a bad key, loader or decision input; the loader's own error, unchanged, when it fails and no stale entry may stand in; LoaderTimeoutError when the load passes `loadTimeout.hard` and no stale entry may stand in.
   */
  async getOrLoad<T>(key: string, loader: CacheLoader<T>, input: GetTtlInput): Promise<T> {
    return (await this.getOrLoadWithMeta(key, loader, input)).value;
  }

  /**
   * Like {@link getOrLoad}, with how the value was obtained: hit, miss, coalesced
   * or stale, the entry's age, the decision and any store failure.
   */
  async getOrLoadWithMeta<T>(key: string, loader: CacheLoader<T>, input: GetTtlInput): Promise<CacheResult<T>> {
    const name = validateCacheKey(key, this.options.maxKeyLength);
    if (typeof loader !== 'function') throw new InvalidInputError('loader', 'must be a function', loader);
    const dataKey = this.options.namespace + name;
    const reading = this.#read(name, dataKey, 'read');
    const decision = await this.#breaker.getTtl(input);
    const state = await reading;
    const storeFailure = state.ok ? null : state.failure;
    const lookup = this.#lookup<T>(name, state, decision);
    if (lookup.hit) {
      this.#emit({ type: 'hit', key: name, ageMs: lookup.ageMs, decision });
      return { value: lookup.value, status: 'hit', stale: false, ageMs: lookup.ageMs, decision, storeFailure };
    }
    this.#emit({ type: 'miss', key: name, reason: lookup.reason, decision });
    const flight = this.#flights.run(dataKey, () => this.#load({ name, dataKey, loader: loader as CacheLoader<unknown>, decision, state }));
    const outcome = (await flight.promise) as Outcome<T>;
    if (!flight.joined) return { ...outcome, decision, storeFailure };
    this.#emit({ type: 'coalesced', key: name, across: 'process' });
    return { ...outcome, status: outcome.stale ? 'stale' : 'coalesced', decision, storeFailure };
  }

  /**
   * Removes the entry under `key` (an invalidation); true when there was one.
   * @throws InvalidInputError for a bad key; StoreError / StoreTimeoutError when the store cannot confirm it.
   */
  async delete(key: string): Promise<boolean> {
    const name = validateCacheKey(key, this.options.maxKeyLength);
    try {
      return await this.#guard.call(() => this.#store.delete(this.options.namespace + name));
    } catch (error) {
      this.#storeError(name, 'delete', error);
      throw error;
    }
  }

  /** Counters since construction: hits, misses, loads, stale served, coalesced waits, store errors… */
  stats(): CacheStats {
    return { ...this.#stats };
  }

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
    const deadline = performance.now() + this.options.coalesce.waitTimeoutMs;
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
    if (!entry) return null;
    const ageMs = Math.max(0, state.read.nowMs - entry.writtenAtMs);
    if (entry.writtenAtMs < sinceMs && !(ageMs < ctx.decision.ttl * 1000)) return null;
    const decoded = this.#decode<T>(ctx.name, entry.payload);
    if (!decoded.ok) return null;
    this.#emit({ type: 'coalesced', key: ctx.name, across: 'processes' });
    return { value: decoded.value, status: 'coalesced', stale: false, ageMs };
  }

  async #callLoader<T>(ctx: LoadContext<T>): Promise<Outcome<T>> {
    const settled = await this.#runLoader(ctx);
    if (!settled.ok) {
      const stale = this.#staleFallback<T>(ctx, settled.error);
      if (stale) return stale;
      throw settled.error;
    }
    await this.#write(ctx, settled.value);
    return { value: settled.value, status: 'miss', stale: false, ageMs: null };
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

  /** The entry read at the start of the call, if it is younger than the stale window. */
  #staleFallback<T>(ctx: LoadContext<T>, error: unknown): Outcome<T> | null {
    const windowMs = this.options.staleIfErrorSeconds * 1000;
    if (windowMs === 0 || !ctx.state.ok || !ctx.state.read.entry) return null;
    const { read, localMs } = ctx.state;
    const ageMs = Math.max(0, read.nowMs - read.entry!.writtenAtMs) + (performance.now() - localMs);
    if (!(ageMs < windowMs)) return null;
    const decoded = this.#decode<T>(ctx.name, read.entry!.payload);
    if (!decoded.ok) return null;
    this.#emit({ type: 'stale', key: ctx.name, ageMs, error });
    return { value: decoded.value, status: 'stale', stale: true, ageMs };
  }

  async #write<T>(ctx: LoadContext<T>, value: T): Promise<void> {
    const floorMs = this.options.coalesce.crossProcess ? this.options.coalesce.waitTimeoutMs : 0;
    const expiryMs = physicalExpiryMs(ctx.decision.ttl, this.options.staleIfErrorSeconds, floorMs);
    if (expiryMs === 0) return;
    let payload: unknown;
    try {
      payload = this.#serializer.serialize(value);
    } catch (error) {
      this.#emit({ type: 'not_cached', key: ctx.name, reason: `serialize failed: ${messageOf(error)}` });
      return;
    }
    if (typeof payload !== 'string') {
      this.#emit({ type: 'not_cached', key: ctx.name, reason: `serializer returned ${typeof payload}, not a string` });
      return;
    }
    try {
      await this.#guard.call(() => this.#store.write(ctx.dataKey, payload, expiryMs));
    } catch (error) {
      this.#storeError(ctx.name, 'write', error);
    }
  }

  /** A store read that never rejects: a failure is a state, and the cache fails open. */
  async #read(name: string, dataKey: string, operation: StoreOperation): Promise<ReadState> {
    try {
      const read = await this.#guard.call(() => this.#store.read(dataKey));
      if (read.corrupt) this.#emit({ type: 'corrupt', key: name, reason: read.corrupt });
      return { ok: true, read, localMs: performance.now() };
    } catch (error) {
      return { ok: false, failure: this.#storeError(name, operation, error) };
    }
  }

  #lookup<T>(name: string, state: ReadState, decision: TtlDecision): Lookup<T> {
    if (!state.ok) return { hit: false, reason: 'store_unavailable' };
    const entry = state.read.entry;
    if (!entry) return { hit: false, reason: state.read.corrupt ? 'corrupt' : 'absent' };
    const ageMs = Math.max(0, state.read.nowMs - entry.writtenAtMs);
    if (!(ageMs < decision.ttl * 1000)) return { hit: false, reason: 'expired' };
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
      return await this.#guard.call(() => this.#store.tryLock(this.#lockNamespace + name, token, this.options.coalesce.lockTtlMs));
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
