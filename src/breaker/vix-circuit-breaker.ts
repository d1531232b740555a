import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { DEFAULT_DEAD_MAN_SWITCH_SECONDS } from '../clock/clock-options.js';
import type { ObservationKind, ObservationResult, PanicClock, PanicObservation } from '../clock/panic-clock.js';
import { normalizeScope } from '../clock/scope.js';
import { describeChoices, InvalidConfigError, InvalidInputError, messageOf, StoreError, VixTtlError } from '../core/errors.js';
import { EventEmitter, subscribeHooks, type Disposable, type Event } from '../core/event.js';
import { loggerOption, SILENT_LOGGER } from '../core/logger.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { storeFailureOf, storeFailureReason } from '../core/store-failure.js';
import { withTimeout } from '../core/with-timeout.js';
import { AdaptivePanicQuota } from '../policy/adaptive-panic-quota.js';
import type { PanicPolicyOptions } from '../policy/policy-config.js';
import { isVixStatus, VIX_STATUSES, type VixStatus } from '../policy/vix-status.js';
import type { FailSafeReason, MatchContext, TtlDecision } from '../policy/ttl-decision.js';
import type { BreakerHooks, BreakerLogger, DecisionEvent, ObservationEvent, RepairEvent, StoreCallEvent } from './breaker-hooks.js';
import { ObservationBatcher } from './observation-batcher.js';
import { PanicScopeLimit } from './panic-scope-limit.js';

/** Input of {@link VixCircuitBreaker.getTtl}. */
export interface GetTtlInput {
  /** TTL in seconds the data would have without any panic. */
  baseTtl: number;
  /**
   * The caller's VIX status (seed mode). Omit it to read the status a publisher
   * (the VIX engine) keeps on the shared clock: a stored start means panic.
   */
  vixStatus?: VixStatus | undefined;
  match?: MatchContext | undefined;
  /** Panic scope (a league, a match id…); default the global scope. */
  scope?: string | undefined;
}

/** Options of {@link VixCircuitBreaker}. */
export interface VixCircuitBreakerOptions {
  /** Where the panic start lives; `null` runs without one, and every panic then fails safe (TTL 0). */
  clock: PanicClock | null;
  /** A policy, or options to build one. Default: the seed's tier table. */
  policy?: AdaptivePanicQuota | PanicPolicyOptions | undefined;
  /** A pino (or pino-compatible) logger. Default: silent. */
  logger?: BreakerLogger | undefined;
  /**
   * Reuse what the clock said for this long, extrapolating the duration locally.
   * Every scope asked within `scopeIdleMs` is refreshed together, in one batched
   * call per interval, so decisions rarely wait and the store's load does not grow
   * with the number of scopes. Default 100 ms; 0 asks the clock for every decision
   * (concurrent ones still share one batch).
   */
  syncIntervalMs?: number | undefined;
  /**
   * A scope asked within this long (ms) stays in the batched refresh; one idle for
   * longer leaves it, and its next decision waits for one round trip (shared with
   * every other scope that needs one then). Default 10,000.
   */
  scopeIdleMs?: number | undefined;
  /** Longest wait for the clock per decision; past it, a panic fails safe. Default 50 ms. */
  timeoutMs?: number | undefined;
  /** Most scopes whose state is kept (least recently used dropped first). Default 10,000. */
  maxScopes?: number | undefined;
  /**
   * Most distinct scopes this breaker holds in panic at once. A panic in a new scope
   * past it is not written to the clock: the decision is TTL 0, `failSafe: true`,
   * reason `scope_limit` (logged at most once a minute), so clients posting panics
   * with ever new scope names cannot fill the store. A scope leaves when it is seen
   * calm (or the clock holds no start for it) or after the dead man's switch
   * without a panic observation. Default 1,000.
   */
  maxPanicScopes?: number | undefined;
  /** Listeners subscribed at construction: a shorthand for `breaker.onDecision(fn)`… (see {@link BreakerHooks}). */
  hooks?: BreakerHooks | undefined;
  /** Local time source in ms, used to age what was synced. Default `Date.now`. */
  now?: (() => number) | undefined;
}

const optionsSchema = z.strictObject({
  clock: z.custom<PanicClock | null>(
    (v) => v === null || (typeof v === 'object' && typeof (v as PanicClock).observe === 'function'),
    { message: 'is required: pass a PanicClock, or null to run without one (panics then fail safe)' },
  ),
  policy: z
    .custom<AdaptivePanicQuota | PanicPolicyOptions>((v) => v === undefined || (typeof v === 'object' && v !== null), { message: 'must be an AdaptivePanicQuota or policy options' })
    .optional(),
  logger: loggerOption(),
  syncIntervalMs: z.number().min(0).max(60_000).default(100),
  scopeIdleMs: z.number().min(1).max(3_600_000).default(10_000),
  timeoutMs: z.number().positive().max(60_000).default(50),
  maxScopes: z.number().int().min(1).default(10_000),
  maxPanicScopes: z.number().int().min(1).max(1_000_000).default(1000),
  hooks: hooksOption<BreakerHooks>(),
  now: z.custom<() => number>((v) => v === undefined || typeof v === 'function', { message: 'must be a function returning ms' }).optional(),
});

/** The schema of {@link VixCircuitBreakerOptions}, whose fields the `breaker` section of the service's config file reuses. */
export { optionsSchema as breakerOptionsSchema };

type Synced = { obs: PanicObservation; localMs: number };
type Outcome = { ok: true; synced: Synced; repaired: PanicObservation['repaired'] } | { ok: false; reason: FailSafeReason };

interface ScopeState {
  readonly scope: string;
  synced: Synced | null;
  /** Observations of this scope waiting in a batch (sent or not), one per kind: later callers join them. */
  pending: Record<ObservationKind, PendingObservation | undefined>;
  /** When a decision last asked about the scope (breaker time): the refresh keeps scopes asked within `scopeIdleMs`. */
  askedMs: number;
  /** When a decision last said panic, and when a panic observation last pushed the dead man's switch back. */
  panicAskedMs: number;
  deadManMs: number;
  /** Last logged (mode, tier, fail-safe reason) per importance, for log-on-change. */
  logged: Map<string, string>;
}

/** One observation on its way to the clock, and (once its batch has settled) what came of it. */
interface PendingObservation {
  readonly scope: string;
  readonly kind: ObservationKind;
  readonly state: ScopeState;
  outcome: Outcome | null;
  done: Promise<void>;
}

/** A refresh starts once this share of `syncIntervalMs` has passed since the last one, so its answer is back before what it renews gets old. */
const REFRESH_AT = 0.8;
/** The dead man's switch is pushed back at most this often by a scope in panic (ms), and at least 10 times per switch. */
const DEAD_MAN_REFRESH_MAX_MS = 60_000;

/** The `scope_limit` WARN is written at most this often (ms of the breaker's time source). */
const SCOPE_LIMIT_LOG_INTERVAL_MS = 60_000;

/**
 * The imperative shell around {@link AdaptivePanicQuota}: it observes the shared
 * panic clock, turns the panic's duration into a decision, fails safe (TTL 0) when
 * the start cannot be had reliably, and logs only when a scope's state changes.
 */
export class VixCircuitBreaker {
  /** The policy in use. */
  readonly policy: AdaptivePanicQuota;
  readonly #clock: PanicClock | null;
  readonly #logger: BreakerLogger;
  readonly #decisions = new EventEmitter<DecisionEvent>();
  readonly #storeCalls = new EventEmitter<StoreCallEvent>();
  readonly #repairs = new EventEmitter<RepairEvent>();
  readonly #observations = new EventEmitter<ObservationEvent>();
  readonly #syncIntervalMs: number;
  readonly #scopeIdleMs: number;
  readonly #deadManRefreshMs: number;
  readonly #timeoutMs: number;
  readonly #batcher: ObservationBatcher<PendingObservation> | null;
  /** Breaker time at which the next refresh of every recently asked scope is due. */
  #nextRefreshMs = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;
  readonly #scopes: LRUCache<string, ScopeState>;
  readonly #panicScopes: PanicScopeLimit;
  readonly #lateObservations: Disposable | undefined;
  /** Refusals (`scope_limit`) since the last WARN about them, and when that was. */
  #refusals = { count: 0, loggedAtMs: Number.NEGATIVE_INFINITY };
  #closed = false;

  /** Subscribes to every decision (a scope-limit refusal included). */
  readonly onDecision: Event<DecisionEvent> = this.#decisions.event;
  /** Subscribes to every real call to the clock, with its outcome (not to answers served from the local sync cache). */
  readonly onStoreCall: Event<StoreCallEvent> = this.#storeCalls.event;
  /** Subscribes to the corrupt starts the clock found and repaired. */
  readonly onRepair: Event<RepairEvent> = this.#repairs.event;
  /** Subscribes to what the clock answered to each real call. */
  readonly onObservation: Event<ObservationEvent> = this.#observations.event;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(options: VixCircuitBreakerOptions) {
    const resolved = parseOptions(optionsSchema, options, 'VixCircuitBreaker');
    subscribeHooks(resolved.hooks, { onDecision: this.onDecision, onStoreCall: this.onStoreCall, onRepair: this.onRepair, onObservation: this.onObservation }, 'VixCircuitBreaker.hooks');
    this.#clock = resolved.clock;
    this.policy = resolved.policy instanceof AdaptivePanicQuota ? resolved.policy : new AdaptivePanicQuota(resolved.policy);
    this.#logger = resolved.logger ?? SILENT_LOGGER;
    this.#syncIntervalMs = resolved.syncIntervalMs;
    this.#scopeIdleMs = resolved.scopeIdleMs;
    this.#timeoutMs = resolved.timeoutMs;
    const deadManSeconds = resolved.clock?.deadManSwitchSeconds ?? DEFAULT_DEAD_MAN_SWITCH_SECONDS;
    this.#deadManRefreshMs = Math.min(DEAD_MAN_REFRESH_MAX_MS, deadManSeconds * 100);
    this.#batcher = resolved.clock === null ? null : new ObservationBatcher(resolved.clock, this.#timeoutMs, (entries, results, durationMs) => this.#settle(entries, results, durationMs));
    this.#now = resolved.now ?? Date.now;
    this.#scopes = new LRUCache({ max: resolved.maxScopes });
    this.#panicScopes = new PanicScopeLimit(resolved.maxPanicScopes, deadManSeconds * 1000);
    // An answer that came after the timeout still says whether a start is stored: a panic
    // queued behind a pause and downgraded to a read (it wrote nothing) gives its slot back.
    const late: unknown = resolved.clock?.onLateObservation?.(({ scope, observation }) => {
      if (!observation.active) this.#panicScopes.release(scope);
    });
    if (late !== undefined && typeof (late as Partial<Disposable> | null)?.dispose !== 'function') {
      if (typeof late === 'function') late(); // an unsubscribe function of the old style: undo, then say why
      throw new InvalidConfigError('VixCircuitBreaker.clock.onLateObservation', 'must be an Event: return a Disposable ({ dispose() }), not an unsubscribe function');
    }
    this.#lateObservations = late as Disposable | undefined;
  }

  /** Scopes this breaker holds in panic now, and the most it will hold (`maxPanicScopes`). Local state. */
  get panicScopes(): { held: number; max: number } {
    return { held: this.#panicScopes.size, max: this.#panicScopes.max };
  }

  /** The clock this breaker observes, or null. */
  get clock(): PanicClock | null {
    return this.#clock;
  }

  /**
   * Decides the TTL for one piece of data. Never throws for a store failure and
   * never waits longer than `timeoutMs` for the store.
   * @throws InvalidInputError for an invalid input (named field), VixTtlError after close().
   */
  async getTtl(input: GetTtlInput): Promise<TtlDecision> {
    if (this.#closed) throw new VixTtlError('VIX_TTL_CLOSED', 'this VixCircuitBreaker is closed');
    const { baseTtl, vixStatus, match, scope: scopeInput } = validateInput(input);
    const scope = normalizeScope(scopeInput);
    const importance = this.policy.classify(match);
    const kind: ObservationKind = vixStatus === 'panic' ? 'panic' : vixStatus === undefined ? 'read' : 'calm';
    if (this.#clock === null && kind === 'read') {
      throw new InvalidInputError('vixStatus', 'is required when the breaker has no clock to read a published status from', vixStatus);
    }
    const classified = { importance };
    if (this.#clock === null) {
      const decision = kind === 'panic' ? this.policy.failSafeDecision(baseTtl, classified, 'no_clock') : this.policy.calculateTtlStrategy(baseTtl, null, classified);
      this.#report(scope, this.#stateOf(scope), decision);
      return decision;
    }
    const nowMs = this.#now();
    const admission = kind !== 'panic' ? null : this.#panicScopes.holds(scope) ? 'held' : this.#panicScopes.admit(scope, nowMs);
    if (admission === 'refused') return this.#refuse(scope, this.policy.failSafeDecision(baseTtl, classified, 'scope_limit'));
    const state = this.#stateOf(scope);
    state.askedMs = nowMs;
    if (kind === 'panic') state.panicAskedMs = nowMs;
    const cached = this.#fromSync(state, kind, nowMs);
    // Asked before the refresh below, so this scope goes in its batch as what the caller said, not as a read.
    const observing = cached ? null : this.#observe(state, kind);
    if (nowMs >= this.#nextRefreshMs && this.#syncIntervalMs > 0) this.#refresh(nowMs);
    let decision: TtlDecision;
    if (cached) {
      decision = this.#decideSynced(baseTtl, classified, cached, nowMs);
    } else {
      const outcome = await observing!;
      if (admission === 'reserved' && !outcome.ok && outcome.reason === 'store_busy') this.#panicScopes.release(scope); // never sent
      decision = this.#decide(baseTtl, classified, kind, outcome, state);
    }
    this.#report(scope, state, decision);
    return decision;
  }

  /** Stops taking decisions and waits for the clock calls under way (each bounded by `timeoutMs`). Does not close the clock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher?.drain();
    this.#lateObservations?.dispose();
    this.#scopes.clear();
    this.#panicScopes.clear();
  }

  /** A panic in a new scope past `maxPanicScopes`: counted through `onDecision`, logged at most once a minute, no per-scope state kept. */
  #refuse(scope: string, decision: TtlDecision): TtlDecision {
    this.#decisions.emit({ scope, decision });
    this.#refusals.count += 1;
    const nowMs = this.#now();
    if (nowMs - this.#refusals.loggedAtMs >= SCOPE_LIMIT_LOG_INTERVAL_MS) {
      this.#logger.warn(
        { scope, max_panic_scopes: this.#panicScopes.max, held: this.#panicScopes.size, refused_since_last_log: this.#refusals.count, reason: 'scope_limit', action: 'fail_safe_panic_full' },
        'VIX_TTL_PANIC_SCOPE_LIMIT',
      );
      this.#refusals = { count: 0, loggedAtMs: nowMs };
    }
    return decision;
  }

  #decide(baseTtl: number, match: MatchContext, kind: ObservationKind, outcome: Outcome, state: ScopeState): TtlDecision {
    if (kind === 'calm') return this.policy.calculateTtlStrategy(baseTtl, null, match);
    if (!outcome.ok) {
      const lastKnownCalm = kind === 'read' && state.synced !== null && !state.synced.obs.active;
      return lastKnownCalm ? this.policy.calculateTtlStrategy(baseTtl, null, match) : this.policy.failSafeDecision(baseTtl, match, outcome.reason);
    }
    if (outcome.repaired && outcome.synced.obs.active) return this.policy.failSafeDecision(baseTtl, match, 'corrupt_value_repaired');
    return this.#decideSynced(baseTtl, match, outcome.synced, this.#now());
  }

  /** The decision for what the clock said, its duration carried forward on the breaker's time. */
  #decideSynced(baseTtl: number, match: MatchContext, synced: Synced, nowMs: number): TtlDecision {
    const { obs, localMs } = synced;
    if (!obs.active || obs.startedAtMs === null) return this.policy.calculateTtlStrategy(baseTtl, null, match);
    const durationMs = Math.max(0, obs.clockNowMs - obs.startedAtMs + (nowMs - localMs));
    return this.policy.calculateTtlStrategy(baseTtl, durationMs / 60_000, match);
  }

  /**
   * What the clock says of a scope whose synced answer is missing, too old, or
   * says otherwise than the caller (a panic where the clock knows none: a state
   * change). Joins an observation of the scope already on its way — of the same
   * kind, or a refresh — else asks for one in the next batch. A refresh that
   * contradicts the caller (it shows calm to a panic) is followed by the caller's
   * own observation, within what is left of `timeoutMs`.
   */
  async #observe(state: ScopeState, kind: ObservationKind): Promise<Outcome> {
    const same = state.pending[kind];
    if (same) return this.#await(same);
    const refresh = state.pending.read ?? (kind === 'read' ? (state.pending.panic ?? state.pending.calm) : undefined);
    if (!refresh) return this.#await(this.#request(state, kind));
    const startedAt = performance.now();
    const outcome = await this.#await(refresh);
    if (!outcome.ok || agrees(kind, outcome.synced.obs)) return outcome;
    const leftMs = this.#timeoutMs - (performance.now() - startedAt);
    const own = state.pending[kind] ?? this.#request(state, kind);
    if (leftMs <= 0) return { ok: false, reason: 'store_timeout' };
    return withTimeout(this.#await(own), leftMs).catch((): Outcome => ({ ok: false, reason: 'store_timeout' }));
  }

  async #await(pending: PendingObservation): Promise<Outcome> {
    await pending.done;
    return pending.outcome ?? { ok: false, reason: 'store_error' };
  }

  /** Puts an observation of the scope in the next batch (the caller checked none of that kind is waiting). */
  #request(state: ScopeState, kind: ObservationKind): PendingObservation {
    const pending: PendingObservation = { scope: state.scope, kind, state, outcome: null, done: Promise.resolve() };
    state.pending[kind] = pending;
    pending.done = this.#batcher!.add(pending);
    return pending;
  }

  /**
   * The sync loop, run by the first decision once a refresh is due: every scope
   * asked within `scopeIdleMs` (most recently asked first, so the walk stops at
   * the first idle one) joins the next batch with a read — or a panic, for a scope
   * in panic whose dead man's switch is due to be pushed back — unless an
   * observation of it is already on its way. One batch per `syncIntervalMs` ×
   * {@link REFRESH_AT}, whatever the number of scopes.
   */
  #refresh(nowMs: number): void {
    this.#nextRefreshMs = nowMs + this.#syncIntervalMs * REFRESH_AT;
    for (const state of this.#scopes.values()) {
      if (nowMs - state.askedMs > this.#scopeIdleMs) break;
      const { pending } = state;
      // A scope never answered yet is observed by its own decisions, as the caller says.
      if (state.synced === null || pending.read || pending.panic || pending.calm) continue;
      const deadManDue = state.synced?.obs.active === true && state.panicAskedMs > state.deadManMs && nowMs - state.deadManMs >= this.#deadManRefreshMs;
      this.#request(state, deadManDue ? 'panic' : 'read');
    }
  }

  /** What a batch said, applied scope by scope before anyone waiting on it resumes. */
  #settle(entries: readonly PendingObservation[], results: readonly ObservationResult[], durationMs: number): void {
    const localMs = this.#now();
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i]!;
      const { scope, kind, state } = entry;
      if (state.pending[kind] === entry) state.pending[kind] = undefined;
      const result = results[i];
      if (!result?.ok || !isObservation(result.observation)) {
        const error: unknown = result && !result.ok ? result.error : new StoreError(`the clock answered no observation for ${scope}`);
        const failure = storeFailureOf(error);
        this.#storeCalls.emit({ scope, kind, durationMs, outcome: failure });
        if (this.#logger.isLevelEnabled?.('debug') !== false) this.#logger.debug({ scope, kind, err: messageOf(error) }, 'VIX_TTL_STORE_FAILURE');
        entry.outcome = { ok: false, reason: storeFailureReason(failure) };
        continue;
      }
      const obs = result.observation;
      this.#storeCalls.emit({ scope, kind, durationMs, outcome: 'ok' });
      const synced = { obs: obs.repaired ? { ...obs, repaired: null } : obs, localMs };
      state.synced = synced;
      // The held panic scopes follow what the clock says (answers from the sync cache change nothing):
      // a scope not in panic leaves; a panic observed is held (again, if a late answer released it
      // while this command was writing its start), dated for the dead man's switch it refreshed.
      if (!obs.active) this.#panicScopes.release(scope);
      else if (kind === 'panic') {
        this.#panicScopes.confirm(scope, localMs);
        state.deadManMs = localMs;
      }
      this.#observations.emit({ scope, kind, observation: synced.obs, localMs });
      if (obs.repaired) this.#repaired(scope, obs.repaired);
      entry.outcome = { ok: true, synced, repaired: obs.repaired };
    }
  }

  #fromSync(state: ScopeState, kind: ObservationKind, nowMs: number): Synced | null {
    const synced = state.synced;
    if (!synced || this.#syncIntervalMs === 0 || nowMs - synced.localMs >= this.#syncIntervalMs) return null;
    return agrees(kind, synced.obs) ? synced : null;
  }

  /** Emits every decision; logs INFO (or WARN for fail-safe) only when the scope's state for that importance changes. */
  #report(scope: string, state: ScopeState, decision: TtlDecision): void {
    this.#decisions.emit({ scope, decision });
    const signature = `${decision.mode}|${decision.tier}|${decision.reason ?? ''}`;
    const previous = state.logged.get(decision.importance);
    if (previous === signature) {
      if (this.#logger.isLevelEnabled?.('debug') !== false) this.#logger.debug(logFields(scope, decision), 'VIX_TTL_DECISION');
      return;
    }
    state.logged.set(decision.importance, signature);
    const fields = logFields(scope, decision);
    if (decision.failSafe) {
      const redisStatus = this.#clock === null ? 'not_configured' : decision.reason === 'corrupt_value_repaired' ? 'corrupt_value' : 'configured_but_error';
      this.#logger.warn({ ...fields, reason: decision.reason, redis_status: redisStatus, action: 'fail_safe_panic_full' }, 'PANIC_WITHOUT_RELIABLE_TIMESTAMP');
      return;
    }
    const [previousMode, previousTier] = previous ? previous.split('|') : [null, null];
    this.#logger.info({ ...fields, previous_mode: previousMode, previous_tier: previousTier === null ? null : Number(previousTier) }, 'VIX_TTL_STATE_CHANGE');
  }

  #repaired(scope: string, corrupt: NonNullable<PanicObservation['repaired']>): void {
    this.#logger.warn({ scope, reason: corrupt.reason, raw: corrupt.raw, raw_length: corrupt.rawLength }, 'PANIC_START_REPAIRED');
    this.#repairs.emit({ scope, corrupt });
  }

  #stateOf(scope: string): ScopeState {
    let state = this.#scopes.get(scope);
    if (!state) {
      state = { scope, synced: null, pending: { panic: undefined, calm: undefined, read: undefined }, askedMs: Number.NEGATIVE_INFINITY, panicAskedMs: Number.NEGATIVE_INFINITY, deadManMs: Number.NEGATIVE_INFINITY, logged: new Map() };
      this.#scopes.set(scope, state);
    }
    return state;
  }
}

/** Whether what the clock said serves a caller: a panic needs a running panic (else it must be written), calm needs none (else it must be ended), a read takes anything. */
function agrees(kind: ObservationKind, obs: PanicObservation): boolean {
  return kind === 'read' || (kind === 'panic') === obs.active;
}

/** A result's observation has the shape the breaker reads (a custom clock may answer anything). */
function isObservation(value: unknown): value is PanicObservation {
  if (typeof value !== 'object' || value === null) return false;
  const { active, startedAtMs, clockNowMs } = value as Partial<PanicObservation>;
  return typeof active === 'boolean' && typeof clockNowMs === 'number' && Number.isFinite(clockNowMs) && (startedAtMs === null || (typeof startedAtMs === 'number' && Number.isFinite(startedAtMs)));
}

function logFields(scope: string, decision: TtlDecision) {
  return {
    scope,
    importance: decision.importance,
    mode: decision.mode,
    tier: decision.tier,
    ttl: decision.ttl,
    panic_duration_min: decision.panicDurationMin,
  };
}

function validateInput(input: GetTtlInput): GetTtlInput {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('input', 'must be an object { baseTtl, vixStatus, match, scope }', input);
  const { baseTtl, vixStatus } = input;
  if (typeof baseTtl !== 'number' || !Number.isFinite(baseTtl) || baseTtl < 0) {
    throw new InvalidInputError('baseTtl', 'must be a finite number ≥ 0', baseTtl);
  }
  if (vixStatus !== undefined && !isVixStatus(vixStatus)) {
    throw new InvalidInputError('vixStatus', `must be ${describeChoices(VIX_STATUSES)} (or omitted to read the published status)`, vixStatus);
  }
  return input;
}
