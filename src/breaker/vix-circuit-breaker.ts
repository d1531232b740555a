import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { DEFAULT_DEAD_MAN_SWITCH_SECONDS } from '../clock/clock-options.js';
import type { ObservationKind, PanicClock, PanicObservation } from '../clock/panic-clock.js';
import { normalizeScope } from '../clock/scope.js';
import { describeChoices, InvalidConfigError, InvalidInputError, messageOf, VixTtlError } from '../core/errors.js';
import { EventEmitter, subscribeHooks, type Disposable, type Event } from '../core/event.js';
import { loggerOption, SILENT_LOGGER } from '../core/logger.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { storeFailureOf, storeFailureReason } from '../core/store-failure.js';
import { withTimeout } from '../core/with-timeout.js';
import { AdaptivePanicQuota } from '../policy/adaptive-panic-quota.js';
import type { PanicPolicyOptions } from '../policy/policy-config.js';
import { isVixStatus, VIX_STATUSES, type VixStatus } from '../policy/vix-status.js';
import type { FailSafeReason, MatchContext, TtlDecision } from '../policy/ttl-decision.js';
import { shadowDecision } from '../policy/shadow-decision.js';
import type { BreakerHooks, BreakerLogger, DecisionEvent, ObservationEvent, RepairEvent, StoreCallEvent } from './breaker-hooks.js';
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
  /** Reuse what the clock said for this long, extrapolating the duration locally. Default 100 ms; 0 asks the clock every time. */
  syncIntervalMs?: number | undefined;
  /** Longest wait for the clock per decision; past it, a panic fails safe. Default 50 ms. */
  timeoutMs?: number | undefined;
  /** Most scopes whose state is kept (least recently used dropped first). Default 10,000. */
  maxScopes?: number | undefined;
  /**
   * Most distinct scopes this breaker holds in panic at once. A panic in a new scope
   * past it is not written to the clock, only read: a start that exists (another
   * worker or host began that panic) decides as usual; without one the decision is
   * TTL 0, `failSafe: true`, reason `scope_limit` (logged at most once a minute), so
   * clients posting panics with ever new scope names cannot fill the store. A scope
   * leaves when it is seen calm (or the clock holds no start for it) or after
   * `panicScopeIdleMs` without a panic observation. Default 1,000.
   */
  maxPanicScopes?: number | undefined;
  /**
   * A scope held in panic with no panic observation for this long gives its slot
   * back (it is taken again, or only read, when observed later), so a flood of
   * scopes nobody observes any more locks new panics out for this long at most,
   * not for the dead man's switch. The cost: one client inventing scope names can
   * make this breaker write `maxPanicScopes` starts per `panicScopeIdleMs`. Capped
   * at the clock's dead man's switch. Default 600,000 (10 minutes).
   */
  panicScopeIdleMs?: number | undefined;
  /**
   * Shadow mode: every decision is taken, measured (the hooks) and logged as usual, but
   * `getTtl` and `peekTtl` answer the caller's own `baseTtl` (mode `NORMAL`, tier 0: what
   * it does without vix-ttl) with the decision that would have applied as `shadow` —
   * a fail-safe one included. For trying vix-ttl on live traffic without changing it.
   * Default false.
   */
  shadow?: boolean | undefined;
  /** Listeners subscribed at construction: a shorthand for `breaker.onDecision(fn)`… (see {@link BreakerHooks}). */
  hooks?: BreakerHooks | undefined;
  /** Local time source in ms, used to age what was synced. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Default `panicScopeIdleMs`: a held panic scope with no panic observation for 10 minutes gives its slot back. */
export const DEFAULT_PANIC_SCOPE_IDLE_MS = 600_000;

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
  timeoutMs: z.number().positive().max(60_000).default(50),
  maxScopes: z.number().int().min(1).default(10_000),
  maxPanicScopes: z.number().int().min(1).max(1_000_000).default(1000),
  panicScopeIdleMs: z.number().int().min(1000).max(7 * 86_400_000).default(DEFAULT_PANIC_SCOPE_IDLE_MS),
  shadow: z.boolean().default(false),
  hooks: hooksOption<BreakerHooks>(),
  now: z.custom<() => number>((v) => v === undefined || typeof v === 'function', { message: 'must be a function returning ms' }).optional(),
});

/** The schema of {@link VixCircuitBreakerOptions}, whose fields the `breaker` section of the service's config file reuses. */
export { optionsSchema as breakerOptionsSchema };

type Synced = { obs: PanicObservation; localMs: number };
type Outcome = { ok: true; synced: Synced; repaired: PanicObservation['repaired'] } | { ok: false; reason: FailSafeReason };

interface ScopeState {
  synced: Synced | null;
  /** A call to the clock failed after `synced` was answered: the scope's knowledge is not current. */
  failedSinceSync: boolean;
  inflight: Partial<Record<ObservationKind, Promise<Outcome>>>;
  /** Last logged (mode, tier, fail-safe reason) per importance, for log-on-change. */
  logged: Map<string, { mode: string; tier: number; reason: string }>;
}

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
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #scopes: LRUCache<string, ScopeState>;
  readonly #panicScopes: PanicScopeLimit;
  readonly #lateObservations: Disposable | undefined;
  readonly #shadow: boolean;
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
    this.#timeoutMs = resolved.timeoutMs;
    this.#now = resolved.now ?? Date.now;
    this.#scopes = new LRUCache({ max: resolved.maxScopes });
    this.#shadow = resolved.shadow;
    const deadManSwitchMs = (resolved.clock?.deadManSwitchSeconds ?? DEFAULT_DEAD_MAN_SWITCH_SECONDS) * 1000;
    this.#panicScopes = new PanicScopeLimit(resolved.maxPanicScopes, Math.min(resolved.panicScopeIdleMs, deadManSwitchMs));
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

  /** Scopes this breaker holds in panic now (idle ones released first), and the most it will hold (`maxPanicScopes`). Local state. */
  get panicScopes(): { held: number; max: number } {
    this.#panicScopes.sweep(this.#now());
    return { held: this.#panicScopes.size, max: this.#panicScopes.max };
  }

  /** Whether this breaker runs in shadow mode (it answers the base TTL; see the `shadow` option). */
  get shadow(): boolean {
    return this.#shadow;
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
      return this.#answer(scope, this.#stateOf(scope), decision, baseTtl);
    }
    const admission = kind !== 'panic' ? null : this.#panicScopes.holds(scope) ? 'held' : this.#panicScopes.admit(scope, this.#now());
    const state = this.#stateOf(scope);
    if (admission === 'refused') return this.#readAtLimit(this.#clock, scope, state, baseTtl, classified);
    const observing = this.#observe(this.#clock, scope, state, kind);
    const waitFrom = observing instanceof Promise ? performance.now() : -1; // timed only when it waits: the sync window pays nothing
    const outcome = await observing;
    if (admission === 'reserved' && !outcome.ok && outcome.reason === 'store_busy') this.#panicScopes.release(scope); // never sent
    const decision = this.#decide(baseTtl, classified, kind, outcome, state);
    return this.#answer(scope, state, decision, baseTtl, waitFrom < 0 ? undefined : performance.now() - waitFrom);
  }

  /**
   * The decision {@link getTtl} would give, when it can be made without a call to
   * the clock: the scope's last answer is inside `syncIntervalMs` (or there is no
   * clock). Null when a round trip is needed; then call `getTtl`. Synchronous, so a
   * cache can judge an in-process copy with no I/O at all; hooks and logs run as for
   * `getTtl`.
   * @throws InvalidInputError for an invalid input, VixTtlError after close().
   */
  peekTtl(input: GetTtlInput): TtlDecision | null {
    if (this.#closed) throw new VixTtlError('VIX_TTL_CLOSED', 'this VixCircuitBreaker is closed');
    const { baseTtl, vixStatus, match, scope: scopeInput } = validateInput(input);
    const scope = normalizeScope(scopeInput);
    const kind: ObservationKind = vixStatus === 'panic' ? 'panic' : vixStatus === undefined ? 'read' : 'calm';
    if (this.#clock === null) return null; // getTtl decides at once without a clock; the rare path is not worth a copy
    if (kind === 'panic' && !this.#panicScopes.holds(scope)) return null;
    const state = this.#scopes.peek(scope); // no recency update on the hot path; getTtl's round trips refresh it
    if (!state) return null;
    const synced = this.#fromSync(state, kind);
    if (!synced) return null;
    const decision = this.#decide(baseTtl, { importance: this.policy.classify(match) }, kind, { ok: true, synced, repaired: null }, state);
    return this.#answer(scope, state, decision, baseTtl);
  }

  /**
   * Whether this breaker's knowledge of `scope` is current: the clock answered for it
   * within `syncIntervalMs` + `timeoutMs` and no call to the clock has failed since
   * (always true without a clock: nothing is read). A decision taken while it is false
   * rests on the last known calm state (publisher mode) or fails safe; an in-process
   * cache must not serve its copies by such a decision, since a panic may have started.
   * Local state only, no I/O.
   */
  isSynced(scope?: string): boolean {
    if (this.#clock === null) return true;
    const state = this.#scopes.peek(normalizeScope(scope));
    if (!state?.synced || state.failedSinceSync) return false;
    return this.#now() - state.synced.localMs < this.#syncIntervalMs + this.#timeoutMs;
  }

  /** Stops taking decisions and waits for the clock calls under way (each bounded by `timeoutMs`). Does not close the clock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#scopes.values()].flatMap((state) => Object.values(state.inflight));
    await Promise.allSettled(pending);
    this.#lateObservations?.dispose();
    this.#scopes.clear();
    this.#panicScopes.clear();
  }

  /** What the caller gets: the decision, or in shadow mode its base TTL with the decision as `shadow`. */
  #served(decision: TtlDecision, baseTtl: number): TtlDecision {
    return this.#shadow ? shadowDecision(baseTtl, decision) : decision;
  }

  /** Reports a decision (hooks, log on change) and returns what the caller gets. */
  #answer(scope: string, state: ScopeState, decision: TtlDecision, baseTtl: number, waitedMs?: number): TtlDecision {
    const served = this.#served(decision, baseTtl);
    this.#report(scope, state, decision, served, waitedMs);
    return served;
  }

  /**
   * A panic in a new scope past `maxPanicScopes`: the clock is only read (no start
   * is written). A start that exists decides as usual; otherwise the decision fails
   * safe — `scope_limit`, or the store's reason when the read itself failed.
   */
  async #readAtLimit(clock: PanicClock, scope: string, state: ScopeState, baseTtl: number, match: MatchContext): Promise<TtlDecision> {
    const observing = this.#observe(clock, scope, state, 'read', true);
    const waitFrom = observing instanceof Promise ? performance.now() : -1;
    const outcome = await observing;
    if (outcome.ok && outcome.synced.obs.active && outcome.synced.obs.startedAtMs !== null) {
      return this.#answer(scope, state, this.#decide(baseTtl, match, 'read', outcome, state), baseTtl, waitFrom < 0 ? undefined : performance.now() - waitFrom);
    }
    return this.#refuse(scope, this.policy.failSafeDecision(baseTtl, match, outcome.ok ? 'scope_limit' : outcome.reason), baseTtl);
  }

  /** A panic refused past `maxPanicScopes`, with no start to read: counted through `onDecision`, logged at most once a minute, no per-scope log line. */
  #refuse(scope: string, decision: TtlDecision, baseTtl: number): TtlDecision {
    const served = this.#served(decision, baseTtl);
    this.#decisions.emit(served === decision ? { scope, decision } : { scope, decision, served });
    this.#refusals.count += 1;
    const nowMs = this.#now();
    if (nowMs - this.#refusals.loggedAtMs >= SCOPE_LIMIT_LOG_INTERVAL_MS) {
      this.#logger.warn(
        { scope, max_panic_scopes: this.#panicScopes.max, held: this.#panicScopes.size, refused_since_last_log: this.#refusals.count, reason: 'scope_limit', action: actionOf(decision, served) },
        'VIX_TTL_PANIC_SCOPE_LIMIT',
      );
      this.#refusals = { count: 0, loggedAtMs: nowMs };
    }
    return served;
  }

  #decide(baseTtl: number, match: MatchContext, kind: ObservationKind, outcome: Outcome, state: ScopeState): TtlDecision {
    if (kind === 'calm') return this.policy.calculateTtlStrategy(baseTtl, null, match);
    if (!outcome.ok) {
      const lastKnownCalm = kind === 'read' && state.synced !== null && !state.synced.obs.active;
      return lastKnownCalm ? this.policy.calculateTtlStrategy(baseTtl, null, match) : this.policy.failSafeDecision(baseTtl, match, outcome.reason);
    }
    const { obs, localMs } = outcome.synced;
    if (!obs.active || obs.startedAtMs === null) return this.policy.calculateTtlStrategy(baseTtl, null, match);
    if (outcome.repaired) return this.policy.failSafeDecision(baseTtl, match, 'corrupt_value_repaired');
    const durationMs = Math.max(0, obs.clockNowMs - obs.startedAtMs + (this.#now() - localMs));
    return this.policy.calculateTtlStrategy(baseTtl, durationMs / 60_000, match);
  }

  /**
   * One clock call per scope and kind at a time; answers reused for `syncIntervalMs`
   * (then returned at once, not as a promise).
   * `quiet`: an answer that finds no panic is not passed to `onObservation` (a read
   * at the panic-scope limit: a flood of refused names must not reach what a service
   * tracks per scope).
   */
  #observe(clock: PanicClock, scope: string, state: ScopeState, kind: ObservationKind, quiet = false): Outcome | Promise<Outcome> {
    const cached = this.#fromSync(state, kind);
    if (cached) return { ok: true, synced: cached, repaired: null };
    const running = state.inflight[kind];
    if (running) return running;
    const startedAt = performance.now();
    // A clock that throws instead of rejecting is a store failure like any other: it fails safe.
    const call = withTimeout(new Promise<PanicObservation>((resolve) => resolve(clock.observe(scope, kind))), this.#timeoutMs)
      .then(
        (obs): Outcome => {
          this.#storeCalls.emit({ scope, kind, durationMs: performance.now() - startedAt, outcome: 'ok' });
          const synced = { obs: obs.repaired ? { ...obs, repaired: null } : obs, localMs: this.#now() };
          state.synced = synced;
          state.failedSinceSync = false;
          // The held panic scopes follow what the clock says (answers from the sync cache change nothing):
          // a scope not in panic leaves; a panic observed is held (again, if a late answer released it
          // while this command was writing its start), dated for the dead man's switch it refreshed.
          if (!obs.active) this.#panicScopes.release(scope);
          else if (kind === 'panic') this.#panicScopes.confirm(scope, synced.localMs);
          if (obs.active || !quiet) this.#observations.emit({ scope, kind, observation: synced.obs, localMs: synced.localMs });
          if (obs.repaired) this.#repaired(scope, obs.repaired);
          return { ok: true, synced, repaired: obs.repaired };
        },
        (error: unknown): Outcome => {
          const failure = storeFailureOf(error);
          state.failedSinceSync = true;
          this.#storeCalls.emit({ scope, kind, durationMs: performance.now() - startedAt, outcome: failure });
          this.#logger.debug({ scope, kind, err: messageOf(error) }, 'VIX_TTL_STORE_FAILURE');
          return { ok: false, reason: storeFailureReason(failure) };
        },
      )
      .finally(() => {
        delete state.inflight[kind];
      });
    state.inflight[kind] = call;
    return call;
  }

  #fromSync(state: ScopeState, kind: ObservationKind): Synced | null {
    const synced = state.synced;
    if (!synced || this.#syncIntervalMs === 0 || this.#now() - synced.localMs >= this.#syncIntervalMs) return null;
    if (kind === 'panic') return synced.obs.active ? synced : null;
    if (kind === 'calm') return synced.obs.active ? null : synced;
    return synced;
  }

  /**
   * Emits every decision (with what was served, in shadow mode, and how long it waited
   * for the clock); logs INFO (or WARN for fail-safe) only when the scope's state for
   * that importance changes.
   */
  #report(scope: string, state: ScopeState, decision: TtlDecision, served: TtlDecision, waitedMs?: number): void {
    if (this.#decisions.size > 0) this.#decisions.emit(served === decision ? { scope, decision, waitedMs } : { scope, decision, served, waitedMs });
    const reason = decision.reason ?? '';
    const previous = state.logged.get(decision.importance);
    // Compared field by field, no string built: this runs on every decision, in-process cache hits included.
    if (previous !== undefined && previous.mode === decision.mode && previous.tier === decision.tier && previous.reason === reason) {
      if (this.#logger.isLevelEnabled?.('debug') !== false) this.#logger.debug(logFields(scope, decision), 'VIX_TTL_DECISION');
      return;
    }
    state.logged.set(decision.importance, { mode: decision.mode, tier: decision.tier, reason });
    const fields = served === decision ? logFields(scope, decision) : { ...logFields(scope, decision), shadow: true, served_ttl: served.ttl };
    if (decision.failSafe) {
      const redisStatus = this.#clock === null ? 'not_configured' : decision.reason === 'corrupt_value_repaired' ? 'corrupt_value' : 'configured_but_error';
      this.#logger.warn({ ...fields, reason: decision.reason, redis_status: redisStatus, action: actionOf(decision, served) }, 'PANIC_WITHOUT_RELIABLE_TIMESTAMP');
      return;
    }
    this.#logger.info({ ...fields, previous_mode: previous?.mode ?? null, previous_tier: previous?.tier ?? null }, 'VIX_TTL_STATE_CHANGE');
  }

  #repaired(scope: string, corrupt: NonNullable<PanicObservation['repaired']>): void {
    this.#logger.warn({ scope, reason: corrupt.reason, raw: corrupt.raw, raw_length: corrupt.rawLength }, 'PANIC_START_REPAIRED');
    this.#repairs.emit({ scope, corrupt });
  }

  #stateOf(scope: string): ScopeState {
    let state = this.#scopes.get(scope);
    if (!state) {
      state = { synced: null, failedSinceSync: false, inflight: {}, logged: new Map() };
      this.#scopes.set(scope, state);
    }
    return state;
  }
}

/** What a fail-safe decision did: TTL 0, or in shadow mode nothing (the base TTL was served). */
function actionOf(decision: TtlDecision, served: TtlDecision): string {
  return served === decision ? 'fail_safe_panic_full' : 'shadow_base_ttl_served';
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
