import { describeChoices, InvalidInputError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { normalizeScope } from './scope.js';

/**
 * What a worker tells the shared clock about its scope: it sees a panic, it sees
 * calm, or (publisher mode) it only reads what a publisher decided.
 */
export type ObservationKind = (typeof OBSERVATION_KINDS)[number];

/** Every {@link ObservationKind}; a clock refuses any other with an InvalidInputError naming `kind`. */
export const OBSERVATION_KINDS = Object.freeze(['panic', 'calm', 'read'] as const);

/** @throws InvalidInputError naming `field` (`kind`) unless `value` is one of the {@link OBSERVATION_KINDS}; every clock checks it first. */
export function assertObservationKind(value: unknown, field = 'kind'): asserts value is ObservationKind {
  if (typeof value !== 'string' || !(OBSERVATION_KINDS as readonly string[]).includes(value)) {
    throw new InvalidInputError(field, `must be ${describeChoices(OBSERVATION_KINDS)}`, value);
  }
}

/** Why a stored panic start was not usable: not a number, before 2001, too far in the store's future, or a key of another Redis type. */
export const CORRUPTION_REASONS = Object.freeze(['unparsable', 'implausible', 'future', 'wrong_type'] as const);

/** One of the {@link CORRUPTION_REASONS}. */
export type CorruptionReason = (typeof CORRUPTION_REASONS)[number];

/** A stored value that was not a plausible start and was repaired (replaced with now, or deleted on calm). */
export interface CorruptValue {
  reason: CorruptionReason;
  /**
   * The value as found, cut to its first 32 characters (then ending with `…`), so a
   * huge value never reaches a log line whole; for a key of the wrong Redis type,
   * that type's name.
   */
  raw: string;
  /** Length of the whole value in bytes (of the type's name for a wrong type). */
  rawLength: number;
}

/** The shared state of one scope right after an observation. */
export interface PanicObservation {
  /** Whether a panic is running in this scope. */
  active: boolean;
  /** Start of that panic in ms on the clock's timeline (Redis `TIME`), null when none. */
  startedAtMs: number | null;
  /** The clock's own time when it handled the observation, in ms. */
  clockNowMs: number;
  /** True when this observation set the start (first writer). */
  created: boolean;
  /** Set when the stored value was corrupt and has been repaired. */
  repaired: CorruptValue | null;
}

/** A side-effect-free look at one scope, for `vix-ttl status` and the dashboard. */
export interface PanicInspection {
  scope: string;
  /** Where the start lives (the Redis key, or `memory:<scope>`). */
  location: string;
  active: boolean;
  startedAtMs: number | null;
  durationMs: number | null;
  /** Time until the dead man's switch (or the calm grace) removes the start; null when none. */
  expiresInMs: number | null;
  /** True while a calm observation keeps the start only for `calmGraceSeconds`. */
  inGrace: boolean;
  /** The stored value, cut to 65 bytes (a valid start has at most 64); null when none. */
  raw: string | null;
  corrupt: CorruptValue | null;
  clockNowMs: number;
}

/**
 * Whether the store may evict panic starts under memory pressure. A Redis
 * `maxmemory-policy` other than `noeviction` can (starts have an expiry, so even
 * the `volatile-*` policies pick them), and an evicted start silently restarts a
 * scope's panic at tier 1.
 */
export interface EvictionPolicy {
  /** `maxmemory-policy` (`noeviction`, `allkeys-lru`…), or null when the store would not say. */
  policy: string | null;
  /** True when panic starts can be evicted, false for `noeviction`, null when unknown (which is not unsafe, only unknown). */
  canEvictPanicStarts: boolean | null;
  /** Why it is unknown (`CONFIG` renamed or denied, as on many managed Redis), or null. */
  detail: string | null;
}

/** An observation answered after it had failed with a timeout (see {@link PanicClock.onLateObservation}). */
export interface LateObservation {
  scope: string;
  kind: ObservationKind;
  observation: PanicObservation;
}

/** One observation asked of {@link PanicClock.observeMany}: a scope (default the global one) and what is seen there. */
export interface ObservationRequest {
  scope?: string | undefined;
  kind: ObservationKind;
  /**
   * When the calm or panic was seen, on `performance.timeOrigin + performance.now()`
   * (ms); default when `observeMany` is called. A request that waited in a queue
   * before the call is judged as if sent then: a calm keeps a panic that began after
   * it, a panic older than the store's staleness bound only reads. A stamp not in
   * the past counts as the call's time; reads ignore it.
   */
  issuedAtMs?: number | undefined;
}

/**
 * The answer to one {@link ObservationRequest}: the scope's state right after the
 * observation, as {@link PanicClock.observe} gives it, or the store failure that
 * kept it from being had (a VixTtlError: timeout, busy, error).
 */
export type ObservationResult = { ok: true; observation: PanicObservation } | { ok: false; error: Error };

/**
 * Checks the requests of a batch before anything is sent, and returns each scope's
 * canonical name. Every clock's `observeMany` checks its requests first, this way or
 * one at a time with {@link checkObservationRequest}.
 * @throws InvalidInputError naming the first bad field (`requests[3].scope`), so a
 *   batch with one bad request changes nothing.
 */
export function checkObservationRequests(requests: unknown): string[] {
  if (!Array.isArray(requests)) throw new InvalidInputError('requests', 'must be an array of { scope, kind }', requests);
  return requests.map((request: unknown, i) => checkObservationRequest(request, `requests[${i}]`));
}

/**
 * Checks one request of a batch and returns its scope's canonical name.
 * @throws InvalidInputError naming `field` (`requests[3]`), its `.kind` or its `.scope`.
 */
export function checkObservationRequest(request: unknown, field: string): string {
  if (typeof request !== 'object' || request === null) throw new InvalidInputError(field, 'must be an object { scope, kind }', request);
  const { scope, kind } = request as Partial<ObservationRequest>;
  assertObservationKind(kind, `${field}.kind`);
  return normalizeScope(scope, `${field}.scope`);
}

/** Options of {@link PanicClock.inspect}. */
export interface InspectOptions {
  /**
   * Also check that the store accepts writes on the scope's key (without writing
   * anything), so a store decisions cannot write to is reported as failing. For
   * readiness probes; `vix-ttl status` reads without it, and works on a replica.
   */
  writable?: boolean | undefined;
}

/** Options of {@link PanicClock.startPanic}. */
export interface StartPanicOptions {
  /** Backdate the start by this many ms (a drill of a panic that began earlier). Default 0. */
  ageMs?: number | undefined;
}

/**
 * The shared panic clock: where a scope's panic start lives and how long ago it was,
 * measured on one clock for every worker. Implementations: {@link MemoryPanicClock}
 * (one process) and {@link RedisPanicClock} (many processes and hosts).
 */
export interface PanicClock {
  /** `'memory'` or `'redis'`, for logs and the dashboard. */
  readonly kind: string;
  /** Commands sent to the store and not answered yet, for a store that has a network between (Redis); absent otherwise. */
  readonly inFlight?: number | undefined;
  /** Seconds a start lives without a panic observation (the dead man's switch). */
  readonly deadManSwitchSeconds?: number | undefined;
  /** What the store says about evicting keys under memory pressure; absent for a store that never evicts (memory). */
  evictionPolicy?(): Promise<EvictionPolicy>;
  /**
   * Subscribes to answers that came after their observation had failed with a
   * timeout. Absent for a store that is never late (memory).
   */
  readonly onLateObservation?: Event<LateObservation> | undefined;
  /** Records what a worker sees and returns the scope's state; one atomic step. */
  observe(scope: string | undefined, kind: ObservationKind): Promise<PanicObservation>;
  /**
   * Records many observations in one round trip and answers each, in order, as
   * {@link observe} would have (each is atomic, in the order given; the same scope
   * may appear twice). A store failure becomes the result of the observations it
   * touched, never a rejection. The breaker refreshes every scope it serves with
   * one call per sync interval through it, so the store's load does not grow
   * with the number of scopes. Optional: without it, the breaker calls
   * {@link observe} once per request.
   * @throws InvalidInputError naming the first bad request (`requests[2].kind`); nothing is then recorded.
   */
  observeMany?(requests: readonly ObservationRequest[]): Promise<ObservationResult[]>;
  /**
   * Reads a scope without changing it. With `{ writable: true }` (readiness) it also
   * proves the store would accept the writes decisions make, still changing nothing:
   * a read-only Redis replica rejects it.
   */
  inspect(scope?: string, options?: InspectOptions): Promise<PanicInspection>;
  /** Starts (or restarts) a panic now, or backdated by `ageMs`; for drills and demos. */
  startPanic(scope?: string, options?: StartPanicOptions): Promise<PanicObservation>;
  /** Ends a scope's panic; true when there was one to end. */
  reset(scope?: string): Promise<boolean>;
  /** Resolves when the store answers and accepts writes; rejects when it does not (readiness). */
  ping(): Promise<void>;
  /** Releases what the clock itself owns (never the caller's Redis client). */
  close(): Promise<void>;
}
