import { z } from 'zod';
import { DEFAULT_DEAD_MAN_SWITCH_SECONDS } from '../clock/clock-options.js';
import type { ObservationKind, ObservationResult, PanicClock, PanicObservation } from '../clock/panic-clock.js';
import { GLOBAL_SCOPE, normalizeScope } from '../clock/scope.js';
import { describeChoices, InvalidConfigError, InvalidInputError, messageOf, StoreError, VixTtlError } from '../core/errors.js';
import { EventEmitter, subscribeHooks, type Disposable, type Event } from '../core/event.js';
import { loggerOption, SILENT_LOGGER } from '../core/logger.js';
import { monotonicNow } from '../core/monotonic-now.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { storeFailureOf, storeFailureReason } from '../core/store-failure.js';
import { withTimeout } from '../core/with-timeout.js';
import { AdaptivePanicQuota } from '../policy/adaptive-panic-quota.js';
import { shadowDecision } from '../policy/shadow-decision.js';
import type { PanicPolicyOptions } from '../policy/policy-config.js';
import { isVixStatus, VIX_STATUSES, type VixStatus } from '../policy/vix-status.js';
import { FAIL_SAFE_REASONS, type FailSafeReason, type MatchContext, type TtlDecision } from '../policy/ttl-decision.js';
import { modeOfTier, type Tier } from '../policy/panic-mode.js';
import type { Importance } from '../policy/importance.js';
import type { BreakerHooks, BreakerLogger, DecisionEvent, ObservationEvent, RepairEvent, StoreCallEvent } from './breaker-hooks.js';
import { ObservationBatcher } from './observation-batcher.js';
import { PanicScopeLimit, type PanicSlot } from './panic-scope-limit.js';
import { ASKED_MS, CLOCK_NOW_MS, ScopeNumbers, slotOffset, STARTED_AT_MS, SYNCED_MS } from './scope-numbers.js';
import { ScopeTable } from './scope-table.js';

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

/** Options of one {@link VixCircuitBreaker.getTtl} call. */
export interface GetTtlOptions {
  /**
   * Asked when a panic is about to take a new `maxPanicScopes` place (a scope not held,
   * with a place free); false refuses it for this call as the limit does: the clock is
   * only read, and without a start the decision is TTL 0, reason `scope_limit`. Lets a
   * group of decisions from one client (one `POST /v1/ttl/batch`) take a bounded
   * share of the places, so one request cannot lock new panics out for everyone.
   */
  mayReservePanicScope?: (() => boolean) | undefined;
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
  /**
   * Local time source in ms, used to age what was synced (the sync window, the
   * extrapolated panic duration, the dead man's switch and `maxPanicScopes` dates).
   * Default: a monotonic clock, Date-like in magnitude (`performance.timeOrigin +
   * performance.now()`), because a wall clock that steps back (NTP correction, VM
   * resume) would make every synced answer look young forever — decisions frozen on
   * the last answer — and one that steps forward would make them all stale at once.
   * Inject one for tests or an accelerated demo; the `localMs` of `onObservation`
   * is on this source, never compare it with `Date.now()`.
   */
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
  scopeIdleMs: z.number().min(1).max(3_600_000).default(10_000),
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

/**
 * What a breaker keeps of one scope: what the clock said last (carried forward on
 * the breaker's time), the observations of it on their way, when it was asked,
 * and the last state logged per importance. One object per scope, its fields in the
 * order a decision from the synced answer touches them (V8 lays them out so), and the
 * three numbers it reads of the clock's answer in a slot of the breaker's
 * {@link ScopeNumbers}, so with thousands of scopes out of the CPU cache such a
 * decision reads two lines of the state and one of the numbers, not separately boxed
 * numbers. A state dropped from the table keeps its numbers itself ({@link detach}).
 */
class ScopeState implements PanicSlot {
  /** The scope table's recency epoch (see {@link ScopeTable}). */
  epoch = 0;
  readonly scope: string;
  /** The state is its own place among the scopes held in panic (`maxPanicScopes`): see {@link PanicSlot}. */
  held = false;
  /**
   * The scope table's epoch (one per sync round) when a decision first asked about the
   * scope, and when that was, breaker time: the refresh keeps scopes asked within
   * `scopeIdleMs`. Written once per round, not per decision, so a decision from the
   * synced answer writes no time field: the cutoff is at most one round early, the
   * order of the walk is the table's.
   */
  askedEpoch = -1;
  /** A decision said panic since a panic observation last pushed the dead man's switch back (at `deadManMs`). */
  panicAsked = false;
  /** The clock's last answer: whether a panic runs (valid once syncedMs is finite; its start and time in the numbers' slot). */
  active = false;
  /** This state's slot in `numbers`, or -1 once dropped (or when none was free): then `#own` holds them. */
  slot: number;
  readonly numbers: ScopeNumbers;
  /** Last logged state per importance (see {@link logSignature}), −1 for none, for log-on-change. */
  loggedMedium = -1;
  loggedHigh = -1;
  loggedLow = -1;
  /** The scope table's recency list. */
  newer: ScopeState | null = null;
  older: ScopeState | null = null;
  /** Observations of this scope in `pending` (0–3): the sync loop skips a scope with one on its way without reading `pending`. */
  waiting = 0;
  /** A call to the clock for this scope failed after that answer: what the breaker knows is not current. */
  failedSinceSync = false;
  /** Observations of this scope asked by decisions, waiting in a batch (sent or not), one per kind: later callers join them. */
  pending: Record<ObservationKind, PendingObservation | undefined> = { panic: undefined, calm: undefined, read: undefined };
  /**
   * The sync loop's refresh of this scope: the state itself goes in the batch as the
   * request (`scope`, `kind`), so a round allocates nothing per scope. `refresh` is
   * the batch's promise while one is on its way; `refreshFailure` why the last failed.
   */
  kind: ObservationKind = 'read';
  /** When the batcher took the refresh, for a panic one (see {@link ObservationBatcher.add}). */
  issuedAtMs: number | undefined = undefined;
  refresh: Promise<void> | null = null;
  refreshFailure: FailSafeReason | null = null;
  /** The last refresh found a corrupt start and repaired it. */
  refreshRepaired = false;
  deadManMs = Number.NEGATIVE_INFINITY;
  seenMs = Number.NEGATIVE_INFINITY;
  /** The numbers while the state has no slot: synced, clock's now, start (NaN for none), asked. */
  #own: [number, number, number, number] | null = null;

  constructor(scope: string, numbers: ScopeNumbers) {
    this.scope = scope;
    this.numbers = numbers;
    this.slot = numbers.take(Number.NEGATIVE_INFINITY, 0, Number.NaN);
    if (this.slot < 0) this.#own = [Number.NEGATIVE_INFINITY, 0, Number.NaN, Number.NEGATIVE_INFINITY];
  }

  /** Breaker time of the scope's first decision in the scope table's epoch (see `askedEpoch`); −∞ before any. */
  get askedMs(): number {
    return this.slot >= 0 ? this.numbers.data[slotOffset(this.slot) + ASKED_MS]! : this.#own![3];
  }

  set askedMs(value: number) {
    if (this.slot >= 0) this.numbers.data[slotOffset(this.slot) + ASKED_MS] = value;
    else this.#own![3] = value;
  }

  /** Breaker time the clock's last answer arrived; −∞ before the first one. */
  get syncedMs(): number {
    return this.slot >= 0 ? this.numbers.data[slotOffset(this.slot) + SYNCED_MS]! : this.#own![0];
  }

  set syncedMs(value: number) {
    if (this.slot >= 0) this.numbers.data[slotOffset(this.slot) + SYNCED_MS] = value;
    else this.#own![0] = value;
  }

  /** The clock's time when it gave its last answer. */
  get clockNowMs(): number {
    return this.slot >= 0 ? this.numbers.data[slotOffset(this.slot) + CLOCK_NOW_MS]! : this.#own![1];
  }

  set clockNowMs(value: number) {
    if (this.slot >= 0) this.numbers.data[slotOffset(this.slot) + CLOCK_NOW_MS] = value;
    else this.#own![1] = value;
  }

  /** The start of the panic the clock's last answer showed, or null. */
  get startedAtMs(): number | null {
    const value = this.slot >= 0 ? this.numbers.data[slotOffset(this.slot) + STARTED_AT_MS]! : this.#own![2];
    return Number.isNaN(value) ? null : value;
  }

  set startedAtMs(value: number | null) {
    const stored = value ?? Number.NaN;
    if (this.slot >= 0) this.numbers.data[slotOffset(this.slot) + STARTED_AT_MS] = stored;
    else this.#own![2] = stored;
  }

  /** The state leaves the breaker's table: it keeps its numbers itself and gives its slot back (for a new state). */
  detach(): void {
    if (this.slot < 0) return;
    const at = slotOffset(this.slot);
    const data = this.numbers.data;
    this.#own = [data[at + SYNCED_MS]!, data[at + CLOCK_NOW_MS]!, data[at + STARTED_AT_MS]!, data[at + ASKED_MS]!];
    this.numbers.release(this.slot);
    this.slot = -1;
  }
}

/** One observation a decision asked for, on its way to the clock, and (once its batch has settled) what came of it. */
interface PendingObservation {
  readonly scope: string;
  readonly kind: ObservationKind;
  readonly state: ScopeState;
  /** When the decision that asked it saw the calm or panic (monotonicNow), or else when it joined its batch (the batcher stamps it). */
  issuedAtMs: number | undefined;
  done: Promise<void>;
  /** What the clock said (repair already reported), or null when it failed. */
  obs: PanicObservation | null;
  /** Breaker time the answer arrived. */
  localMs: number;
  /** A corrupt start was found and repaired by this observation. */
  repaired: boolean;
  /** Why it failed, when it did. */
  failure: FailSafeReason | null;
  /**
   * An answer that finds no panic is not passed to `onObservation` (a read at the
   * panic-scope limit: a flood of refused names must not reach what a service tracks).
   */
  quiet: boolean;
}

/**
 * A refresh starts once this share of `syncIntervalMs` has passed since the last one,
 * so its answer is back before what it renews gets old; earlier when the last round
 * took long (twice its duration ahead), but never before half the interval: at most
 * two rounds per `syncIntervalMs`.
 */
const REFRESH_AT = 0.8;
const REFRESH_AT_LEAST = 0.5;
/** The dead man's switch is pushed back at most this often by a scope in panic (ms), and at least 10 times per switch. */
const DEAD_MAN_REFRESH_MAX_MS = 60_000;

/** The `scope_limit` WARN is written at most this often (ms of the breaker's time source). */
const SCOPE_LIMIT_LOG_INTERVAL_MS = 60_000;
/** State-change lines (INFO `VIX_TTL_STATE_CHANGE`, WARN `PANIC_WITHOUT_RELIABLE_TIMESTAMP`) a breaker writes per second at most. */
const MAX_STATE_LOGS_PER_SECOND = 100;

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
  readonly #batcher: ObservationBatcher<PendingObservation | ScopeState> | null;
  /** Breaker time at which the next refresh of every recently asked scope is due. */
  #nextRefreshMs = Number.NEGATIVE_INFINITY;
  /** Batches settled so far: the `batch` number of store-call events. */
  #batches = 0;
  /** When the last refresh round started, and how long (breaker time) it took to be answered. */
  #roundStartedMs = 0;
  #roundMs = 0;
  readonly #now: () => number;
  readonly #scopes: ScopeTable<ScopeState>;
  /** The numbers a decision reads of each scope state's synced answer, side by side (see {@link ScopeState}). */
  readonly #numbers: ScopeNumbers;
  readonly #panicScopes: PanicScopeLimit;
  readonly #lateObservations: Disposable | undefined;
  readonly #shadow: boolean;
  /** Refusals (`scope_limit`) since the last WARN about them, and when that was. */
  #refusals = { count: 0, loggedAtMs: Number.NEGATIVE_INFINITY };
  /** State-change log lines in the current second, and those left out of it by event. */
  #stateLogs = { windowStartMs: Number.NEGATIVE_INFINITY, written: 0, skipped: 0, skippedByEvent: {} as Record<string, number> };
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
    // Also often enough to keep a scope in panic in its maxPanicScopes place (panicScopeIdleMs).
    this.#deadManRefreshMs = Math.min(DEAD_MAN_REFRESH_MAX_MS, deadManSeconds * 100, resolved.panicScopeIdleMs / 2);
    this.#batcher =
      resolved.clock === null
        ? null
        : new ObservationBatcher<PendingObservation | ScopeState>(
            resolved.clock,
            this.#timeoutMs,
            (entries, results, durationMs) => this.#settle(entries, results, durationMs),
            (entries, results) => entries.forEach((entry, i) => this.#late(entry.scope, entry.kind, results[i])),
          );
    this.#now = resolved.now ?? monotonicNow;
    this.#scopes = new ScopeTable(resolved.maxScopes);
    // One slot more than the table holds: a new state takes its slot before the oldest one is dropped.
    this.#numbers = new ScopeNumbers(resolved.maxScopes + 1);
    this.#shadow = resolved.shadow;
    const panicScopeIdleMs = Math.min(resolved.panicScopeIdleMs, deadManSeconds * 1000);
    this.#panicScopes = new PanicScopeLimit(resolved.maxPanicScopes, panicScopeIdleMs);
    // An answer that came after the timeout still says what the clock holds: a panic queued behind a
    // pause and downgraded to a read (it wrote nothing) gives its slot back, and a slow refresh renews.
    const late: unknown = resolved.clock?.onLateObservation?.(({ scope, kind, observation }) => this.#late(scope, kind, { ok: true, observation }));
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
   * `options.mayReservePanicScope` bounds the new panic scopes a group of calls takes.
   * @throws InvalidInputError for an invalid input (named field), VixTtlError after close().
   */
  async getTtl(input: GetTtlInput, options?: GetTtlOptions): Promise<TtlDecision> {
    if (this.#closed) throw new VixTtlError('VIX_TTL_CLOSED', 'this VixCircuitBreaker is closed');
    const { baseTtl, vixStatus, match, scope: scopeInput } = validateInput(input);
    const mayReserve = options?.mayReservePanicScope;
    if (mayReserve !== undefined && typeof mayReserve !== 'function') throw new InvalidInputError('options.mayReservePanicScope', 'must be a function returning a boolean', mayReserve);
    // Recency is kept per sync round (the refresh starts a new epoch); without rounds, exactly.
    if (this.#syncIntervalMs === 0) this.#scopes.advance();
    // A scope the breaker holds was validated when it came in; only a new name is checked.
    const known = this.#scopes.get(scopeInput === undefined || scopeInput === '' ? GLOBAL_SCOPE : scopeInput);
    const scope = known?.scope ?? normalizeScope(scopeInput);
    const importance = this.policy.classify(match);
    const kind: ObservationKind = vixStatus === 'panic' ? 'panic' : vixStatus === undefined ? 'read' : 'calm';
    if (this.#clock === null && kind === 'read') {
      throw new InvalidInputError('vixStatus', 'is required when the breaker has no clock to read a published status from', vixStatus);
    }
    const classified = CLASSIFIED[importance];
    if (this.#clock === null) {
      const decision = kind === 'panic' ? this.policy.failSafeDecision(baseTtl, classified, 'no_clock') : this.policy.calculateTtlStrategy(baseTtl, null, classified);
      return this.#answer(scope, known ?? this.#remember(this.#newState(scope)), decision, baseTtl);
    }
    const nowMs = this.#now();
    // A new scope's state is made first (it is its own panic slot) and kept only if admitted.
    const state = known ?? this.#newState(scope);
    const admission = kind !== 'panic' ? null : state.held ? 'held' : this.#panicScopes.admit(scope, nowMs, state, mayReserve);
    if (known === undefined) this.#remember(state);
    this.#asked(state, nowMs);
    // Past maxPanicScopes a panic is only read: it does not count as a panic decision of this scope.
    if (admission === 'refused') return this.#readAtLimit(state, baseTtl, classified, nowMs);
    if (kind === 'panic') state.panicAsked = true;
    const fresh = this.#fromSync(state, kind, nowMs);
    // Asked before the refresh below, so this scope goes in its batch as what the caller said, not as a read.
    const observing = fresh ? null : this.#observe(state, kind);
    if (nowMs >= this.#nextRefreshMs && this.#syncIntervalMs > 0) this.#refresh(nowMs);
    if (fresh) return this.#answer(scope, state, this.#decideFrom(baseTtl, classified, state.active, state.startedAtMs, state.clockNowMs, state.syncedMs, nowMs), baseTtl);
    const waitFrom = performance.now(); // timed only when it waits: the sync window pays nothing
    const answer = await observing!;
    if (admission === 'reserved' && answer.failure === 'store_busy') this.#panicScopes.release(scope); // never sent
    return this.#answer(scope, state, this.#decide(baseTtl, classified, kind, answer, state), baseTtl, performance.now() - waitFrom);
  }

  /**
   * The decision {@link getTtl} would give, when it can be made without a call to
   * the clock: the scope's last answer is inside `syncIntervalMs` (or there is no
   * clock). Null when a round trip is needed; then call `getTtl`. Synchronous, so a
   * cache can judge an in-process copy without waiting for I/O; hooks and logs run
   * as for `getTtl`. It counts as asking: the scope stays in the sync loop, whose due
   * refresh it starts in the background.
   * @throws InvalidInputError for an invalid input, VixTtlError after close().
   */
  peekTtl(input: GetTtlInput): TtlDecision | null {
    if (this.#closed) throw new VixTtlError('VIX_TTL_CLOSED', 'this VixCircuitBreaker is closed');
    const { baseTtl, vixStatus, match, scope: scopeInput } = validateInput(input);
    const kind: ObservationKind = vixStatus === 'panic' ? 'panic' : vixStatus === undefined ? 'read' : 'calm';
    if (this.#clock === null) return null; // getTtl decides at once without a clock; the rare path is not worth a copy
    if (this.#syncIntervalMs === 0) this.#scopes.advance();
    const state = this.#scopes.get(scopeInput === undefined || scopeInput === '' ? GLOBAL_SCOPE : scopeInput);
    if (!state) {
      normalizeScope(scopeInput); // a bad name is still an InvalidInputError
      return null;
    }
    if (kind === 'panic' && !state.held) return null;
    const nowMs = this.#now();
    if (!this.#fromSync(state, kind, nowMs)) return null;
    // A peek is a decision: the scope stays in the sync loop, and a due refresh starts (in the background).
    this.#asked(state, nowMs);
    if (kind === 'panic') state.panicAsked = true;
    if (nowMs >= this.#nextRefreshMs && this.#syncIntervalMs > 0) this.#refresh(nowMs);
    const decision = this.#decideFrom(baseTtl, CLASSIFIED[this.policy.classify(match)], state.active, state.startedAtMs, state.clockNowMs, state.syncedMs, nowMs);
    return this.#answer(state.scope, state, decision, baseTtl);
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
    if (state === undefined || state.syncedMs === Number.NEGATIVE_INFINITY || state.failedSinceSync) return false;
    return this.#now() - state.syncedMs < this.#syncIntervalMs + this.#timeoutMs;
  }

  /** Stops taking decisions and waits for the clock calls under way (each bounded by `timeoutMs`). Does not close the clock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher?.drain();
    this.#lateObservations?.dispose();
    for (let state = this.#scopes.newest; state !== null; state = state.older) state.detach();
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
  async #readAtLimit(state: ScopeState, baseTtl: number, match: MatchContext, nowMs: number): Promise<TtlDecision> {
    // The count that refused it: by the time the read answers, places may have been given back.
    const held = this.#panicScopes.size;
    let decision: TtlDecision | null = null;
    let failure: FailSafeReason = 'scope_limit';
    let waitedMs: number | undefined;
    if (this.#fromSync(state, 'read', nowMs)) {
      if (state.active && state.startedAtMs !== null) decision = this.#decideFrom(baseTtl, match, true, state.startedAtMs, state.clockNowMs, state.syncedMs, nowMs);
    } else {
      const waitFrom = performance.now();
      const answer = await this.#observe(state, 'read', true);
      waitedMs = performance.now() - waitFrom;
      if (answer.obs === null) failure = answer.failure ?? 'store_error';
      else if (answer.obs.active && answer.obs.startedAtMs !== null) decision = this.#decide(baseTtl, match, 'read', answer, state);
    }
    if (decision === null) return this.#refuse(state.scope, this.policy.failSafeDecision(baseTtl, match, failure), baseTtl, held);
    return this.#answer(state.scope, state, decision, baseTtl, waitedMs);
  }

  /** A panic refused past `maxPanicScopes`, with no start to read: counted through `onDecision`, logged at most once a minute, no per-scope log line. */
  #refuse(scope: string, decision: TtlDecision, baseTtl: number, held: number): TtlDecision {
    const served = this.#served(decision, baseTtl);
    this.#decisions.emit(served === decision ? { scope, decision } : { scope, decision, served });
    this.#refusals.count += 1;
    const nowMs = this.#now();
    if (nowMs - this.#refusals.loggedAtMs >= SCOPE_LIMIT_LOG_INTERVAL_MS) {
      this.#logger.warn(
        { scope, max_panic_scopes: this.#panicScopes.max, held, refused_since_last_log: this.#refusals.count, reason: 'scope_limit', action: actionOf(decision, served) },
        'VIX_TTL_PANIC_SCOPE_LIMIT',
      );
      this.#refusals = { count: 0, loggedAtMs: nowMs };
    }
    return served;
  }

  #decide(baseTtl: number, match: MatchContext, kind: ObservationKind, answer: PendingObservation, state: ScopeState): TtlDecision {
    if (kind === 'calm') return this.policy.calculateTtlStrategy(baseTtl, null, match);
    const obs = answer.obs;
    if (obs === null) {
      const lastKnownCalm = kind === 'read' && state.syncedMs > Number.NEGATIVE_INFINITY && !state.active;
      return lastKnownCalm ? this.policy.calculateTtlStrategy(baseTtl, null, match) : this.policy.failSafeDecision(baseTtl, match, answer.failure ?? 'store_error');
    }
    if (answer.repaired && obs.active) return this.policy.failSafeDecision(baseTtl, match, 'corrupt_value_repaired');
    // A panic answered "no panic running" wrote nothing: the clock judged it stale (it reached the store
    // later than its staleness bound, or the store's clock stepped) and only read. Not a calm: TTL 0 as
    // for a timeout; the slot is given back, and the next panic decision writes.
    if (kind === 'panic' && !obs.active) return this.policy.failSafeDecision(baseTtl, match, 'store_timeout');
    return this.#decideFrom(baseTtl, match, obs.active, obs.startedAtMs, obs.clockNowMs, answer.localMs, this.#now());
  }

  /** The decision for what the clock said at `localMs`, its duration carried forward to `nowMs` on the breaker's time. */
  #decideFrom(baseTtl: number, match: MatchContext, active: boolean, startedAtMs: number | null, clockNowMs: number, localMs: number, nowMs: number): TtlDecision {
    if (!active || startedAtMs === null) return this.policy.calculateTtlStrategy(baseTtl, null, match);
    const durationMs = Math.max(0, clockNowMs - startedAtMs + (nowMs - localMs));
    return this.policy.calculateTtlStrategy(baseTtl, durationMs / 60_000, match);
  }

  /**
   * What the clock says of a scope whose synced answer is missing, too old, or
   * says otherwise than the caller. An answer that is only old is renewed the way
   * the sync loop does it (a read; a panic when the dead man's switch is due),
   * joining an observation of the scope already on its way; if that answer
   * contradicts the caller (it shows calm to a panic, a panic to calm) — a state
   * change — the caller's own observation follows, within what is left of
   * `timeoutMs`. A new scope, or one whose answer already contradicts the caller,
   * goes straight to its own observation.
   */
  async #observe(state: ScopeState, kind: ObservationKind, quiet = false): Promise<PendingObservation> {
    const same = state.pending[kind];
    if (same) return this.#await(same);
    const startedAt = performance.now();
    // When the caller saw it: its own observation is judged by this, even after waiting for a renewal.
    const seenMs = monotonicNow();
    // A young answer that contradicts the caller is a state change: no renewal can serve it.
    const young = this.#syncIntervalMs > 0 && this.#now() - state.syncedMs < this.#syncIntervalMs;
    const first = young ? null : await this.#renew(state, kind);
    if (first === null) return this.#await(state.pending[kind] ?? this.#request(state, kind, quiet, seenMs));
    if (first.obs === null || agrees(kind, first.obs.active)) return first;
    const own = state.pending[kind] ?? this.#request(state, kind, false, seenMs);
    const leftMs = this.#timeoutMs - (performance.now() - startedAt);
    if (leftMs <= 0) return timedOut(own);
    return withTimeout(this.#await(own), leftMs).catch(() => timedOut(own));
  }

  /**
   * An answer that may serve the caller without a write: an observation of the
   * scope already on its way, or a renewal of an answer that is only old. Null when
   * the caller must observe for itself (a new scope, or a known contradiction).
   */
  async #renew(state: ScopeState, kind: ObservationKind): Promise<PendingObservation | null> {
    const { pending } = state;
    const other = kind === 'read' ? (pending.panic ?? pending.calm) : undefined;
    if (other) return this.#await(other);
    if (state.refresh !== null) {
      await state.refresh;
      if (state.refreshFailure !== null) return { ...ANSWER, scope: state.scope, kind, state, failure: state.refreshFailure };
      return this.#answerFromState(state, kind);
    }
    if (pending.read) return this.#await(pending.read);
    if (state.syncedMs === Number.NEGATIVE_INFINITY || !agrees(kind, state.active)) return null;
    return this.#await(state.pending[this.#renewalKind(state, this.#now())] ?? this.#request(state, this.#renewalKind(state, this.#now())));
  }

  /** How an answer that is only old is renewed: a read, or a panic when this scope's panic decisions are due to push the dead man's switch back. */
  #renewalKind(state: ScopeState, nowMs: number): ObservationKind {
    return state.active && state.panicAsked && nowMs - state.deadManMs >= this.#deadManRefreshMs ? 'panic' : 'read';
  }

  async #await(pending: PendingObservation): Promise<PendingObservation> {
    await pending.done;
    return pending;
  }

  /** What the scope's last refresh said, as the answer of a decision that waited for it. */
  #answerFromState(state: ScopeState, kind: ObservationKind): PendingObservation {
    const obs: PanicObservation = { active: state.active, startedAtMs: state.startedAtMs, clockNowMs: state.clockNowMs, created: false, repaired: null };
    return { ...ANSWER, scope: state.scope, kind, state, obs, localMs: state.syncedMs, repaired: state.refreshRepaired };
  }

  /** Puts an observation of the scope in the next batch (the caller checked none of that kind is waiting). */
  #request(state: ScopeState, kind: ObservationKind, quiet = false, seenMs?: number): PendingObservation {
    const pending: PendingObservation = { ...ANSWER, scope: state.scope, kind, state, quiet, issuedAtMs: seenMs };
    state.pending[kind] = pending;
    state.waiting += 1;
    pending.done = this.#batcher!.add(pending);
    return pending;
  }

  /**
   * The sync loop, run by the first decision once a refresh is due: every scope
   * asked within `scopeIdleMs` (most recently asked first, so the walk stops at
   * the first idle one) joins the next batch with a read — or a panic, for a scope
   * in panic whose dead man's switch is due to be pushed back — unless an
   * observation of it is already on its way. One batch per `syncIntervalMs` ×
   * {@link REFRESH_AT} (down to {@link REFRESH_AT_LEAST} when rounds are slow),
   * whatever the number of scopes; the scope states are the batch's requests, so a
   * round allocates nothing per scope.
   */
  #refresh(nowMs: number): void {
    const interval = this.#syncIntervalMs;
    const lead = Math.min(interval * (1 - REFRESH_AT_LEAST), Math.max(interval * (1 - REFRESH_AT), 2 * this.#roundMs));
    this.#nextRefreshMs = nowMs + interval - lead;
    this.#roundStartedMs = nowMs;
    this.#scopes.advance();
    const batcher = this.#batcher!;
    for (let state = this.#scopes.newest; state !== null; state = state.older) {
      if (nowMs - state.askedMs > this.#scopeIdleMs) break;
      // A scope never answered yet is observed by its own decisions, as the caller says.
      if (state.syncedMs === Number.NEGATIVE_INFINITY || state.refresh !== null || state.waiting !== 0) continue;
      state.kind = this.#renewalKind(state, nowMs);
      state.issuedAtMs = undefined; // a panic refresh is stamped as it joins the batch
      state.refresh = batcher.add(state);
    }
  }

  /** What a batch said, applied scope by scope before anyone waiting on it resumes. */
  #settle(entries: ReadonlyArray<PendingObservation | ScopeState>, results: readonly ObservationResult[], durationMs: number): void {
    const localMs = this.#now();
    const batch = (this.#batches += 1);
    if (entries.some(isScopeState)) this.#roundMs = Math.max(0, localMs - this.#roundStartedMs);
    const storeCalls = this.#storeCalls.size > 0;
    const observations = this.#observations.size > 0;
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i]!;
      const { scope, kind } = entry;
      const isRefresh = isScopeState(entry);
      const state = isRefresh ? entry : entry.state;
      if (isRefresh) state.refresh = null;
      else {
        if (state.pending[kind] === entry) {
          state.pending[kind] = undefined;
          state.waiting -= 1;
        }
        entry.localMs = localMs;
      }
      const result = results[i];
      if (!result?.ok || !isObservation(result.observation)) {
        const error: unknown = result && !result.ok ? result.error : new StoreError(`the clock answered no observation for ${scope}`);
        const failure = storeFailureOf(error);
        if (storeCalls) this.#storeCalls.emit({ scope, kind, durationMs, outcome: failure, refresh: isRefresh, batch });
        if (this.#logger.isLevelEnabled?.('debug') !== false) this.#logger.debug({ scope, kind, err: messageOf(error) }, 'VIX_TTL_STORE_FAILURE');
        if (isRefresh) state.refreshFailure = storeFailureReason(failure);
        else entry.failure = storeFailureReason(failure);
        state.failedSinceSync = true;
        continue;
      }
      let obs = result.observation;
      if (storeCalls) this.#storeCalls.emit({ scope, kind, durationMs, outcome: 'ok', refresh: isRefresh, batch });
      const repaired = obs.repaired;
      if (repaired) obs = { ...obs, repaired: null };
      if (isRefresh) {
        state.refreshFailure = null;
        state.refreshRepaired = repaired !== null;
      } else {
        entry.obs = obs;
        entry.repaired = repaired !== null;
      }
      state.active = obs.active;
      state.startedAtMs = obs.startedAtMs;
      state.clockNowMs = obs.clockNowMs;
      state.syncedMs = localMs;
      state.failedSinceSync = false;
      // The held panic scopes follow what the clock says (answers from the sync cache change nothing):
      // a scope not in panic leaves; a panic observed is held (again, if a late answer released it
      // while this command was writing its start), dated for the dead man's switch it refreshed.
      if (!obs.active) this.#panicScopes.release(scope);
      else if (kind === 'panic') {
        this.#panicScopes.confirm(scope, localMs, state);
        state.deadManMs = localMs;
        state.panicAsked = false;
      }
      if (observations && (obs.active || isRefresh || !entry.quiet)) this.#observations.emit({ scope, kind, observation: obs, localMs, refresh: isRefresh });
      if (repaired) this.#repaired(scope, repaired);
    }
  }

  /**
   * An answer that came after its decisions had failed safe (the breaker's deadline,
   * or the clock's own timeout): it still says what the clock holds. A scope not in
   * panic gives its `maxPanicScopes` place back; a scope the breaker remembers takes
   * it as its synced answer unless it already has a newer one (by the clock's time),
   * so a refresh round slower than `timeoutMs` is not lost.
   */
  #late(scope: string, kind: ObservationKind, result: ObservationResult | undefined): void {
    if (!result?.ok || !isObservation(result.observation)) return;
    const obs = result.observation;
    if (!obs.active) this.#panicScopes.release(scope);
    const state = this.#scopes.peek(scope);
    if (state === undefined || obs.clockNowMs < state.clockNowMs) return;
    state.active = obs.active;
    state.startedAtMs = obs.startedAtMs;
    state.clockNowMs = obs.clockNowMs;
    state.syncedMs = this.#now();
    state.failedSinceSync = false;
    state.refreshFailure = null;
    if (this.#observations.size > 0) this.#observations.emit({ scope, kind, observation: obs.repaired ? { ...obs, repaired: null } : obs, localMs: state.syncedMs, refresh: true });
  }

  /**
   * Whether one more state-change line fits this second's budget. Thousands of scopes that
   * change together (a round that outlasts `timeoutMs`, Redis gone) would otherwise write a
   * line each; past {@link MAX_STATE_LOGS_PER_SECOND} they are counted, and the first line of
   * a later second says how many were left out, by event.
   */
  #mayLogStateChange(event: string | null): boolean {
    const logs = this.#stateLogs;
    const nowMs = this.#now();
    if (nowMs - logs.windowStartMs >= 1000) {
      if (logs.skipped > 0) {
        this.#logger.warn({ not_logged: logs.skipped, by_event: logs.skippedByEvent, max_per_second: MAX_STATE_LOGS_PER_SECOND }, 'VIX_TTL_STATE_CHANGES_NOT_LOGGED');
      }
      this.#stateLogs = { windowStartMs: nowMs, written: 0, skipped: 0, skippedByEvent: {} };
    }
    if (event === null) return false;
    const current = this.#stateLogs;
    if (current.written < MAX_STATE_LOGS_PER_SECOND) {
      current.written += 1;
      return true;
    }
    current.skipped += 1;
    current.skippedByEvent[event] = (current.skippedByEvent[event] ?? 0) + 1;
    return false;
  }

  /** Whether the synced answer is young enough and serves the caller. */
  #fromSync(state: ScopeState, kind: ObservationKind, nowMs: number): boolean {
    return this.#syncIntervalMs > 0 && nowMs - state.syncedMs < this.#syncIntervalMs && agrees(kind, state.active);
  }

  /**
   * Emits every decision (with what was served, in shadow mode, and how long it waited
   * for the clock); logs INFO (or WARN for fail-safe) only when the scope's state for
   * that importance changes.
   */
  #report(scope: string, state: ScopeState, decision: TtlDecision, served: TtlDecision, waitedMs?: number): void {
    if (this.#decisions.size > 0) this.#decisions.emit(served === decision ? { scope, decision, waitedMs } : { scope, decision, served, waitedMs });
    if (this.#stateLogs.skipped > 0) this.#mayLogStateChange(null); // says what a past second left out
    const signature = logSignature(decision);
    const previous = decision.importance === 'high_stakes' ? state.loggedHigh : decision.importance === 'low_stakes' ? state.loggedLow : state.loggedMedium;
    if (previous === signature) {
      if (this.#logger.isLevelEnabled?.('debug') !== false) this.#logger.debug(logFields(scope, decision), 'VIX_TTL_DECISION');
      return;
    }
    if (decision.importance === 'high_stakes') state.loggedHigh = signature;
    else if (decision.importance === 'low_stakes') state.loggedLow = signature;
    else state.loggedMedium = signature;
    if (!this.#mayLogStateChange(decision.failSafe ? 'PANIC_WITHOUT_RELIABLE_TIMESTAMP' : 'VIX_TTL_STATE_CHANGE')) return;
    const fields = served === decision ? logFields(scope, decision) : { ...logFields(scope, decision), shadow: true, served_ttl: served.ttl };
    if (decision.failSafe) {
      const redisStatus = this.#clock === null ? 'not_configured' : decision.reason === 'corrupt_value_repaired' ? 'corrupt_value' : 'configured_but_error';
      this.#logger.warn({ ...fields, reason: decision.reason, redis_status: redisStatus, action: actionOf(decision, served) }, 'PANIC_WITHOUT_RELIABLE_TIMESTAMP');
      return;
    }
    const previousTier = previous < 0 ? null : ((previous % TIERS) as Tier);
    this.#logger.info({ ...fields, previous_mode: previousTier === null ? null : modeOfTier(previousTier), previous_tier: previousTier }, 'VIX_TTL_STATE_CHANGE');
  }

  #repaired(scope: string, corrupt: NonNullable<PanicObservation['repaired']>): void {
    this.#logger.warn({ scope, reason: corrupt.reason, raw: corrupt.raw, raw_length: corrupt.rawLength }, 'PANIC_START_REPAIRED');
    this.#repairs.emit({ scope, corrupt });
  }

  /** Dates the scope's first decision of the scope table's epoch (see `askedMs`). */
  #asked(state: ScopeState, nowMs: number): void {
    const epoch = this.#scopes.epoch;
    if (state.askedEpoch === epoch) return;
    state.askedEpoch = epoch;
    state.askedMs = nowMs;
  }

  /** Keeps a new scope's state, dropping the least recently used one past `maxScopes`. */
  #remember(state: ScopeState): ScopeState {
    this.#scopes.add(state)?.detach();
    return state;
  }

  /** The state of a scope seen for the first time (`scope` already validated), with a slot for its numbers. */
  #newState(scope: string): ScopeState {
    return new ScopeState(scope, this.#numbers);
  }
}

/** The match context of each importance, built once: a decision from the synced answer allocates none. */
const CLASSIFIED: Readonly<Record<Importance, MatchContext>> = Object.freeze({
  high_stakes: Object.freeze({ importance: 'high_stakes' }),
  medium_stakes: Object.freeze({ importance: 'medium_stakes' }),
  low_stakes: Object.freeze({ importance: 'low_stakes' }),
});

/** A blank answer: what an observation holds before its batch settles. */
const ANSWER = Object.freeze({ issuedAtMs: undefined, done: Promise.resolve(), obs: null, localMs: 0, repaired: false, failure: null, quiet: false });
const TIERS = 5;

/** A decision's state for log-on-change, as a number: its tier, plus its fail-safe reason when there is one (the mode follows the tier). */
function logSignature(decision: TtlDecision): number {
  return decision.reason === undefined ? decision.tier : decision.tier + TIERS * (1 + FAIL_SAFE_REASONS.indexOf(decision.reason));
}

function isScopeState(entry: PendingObservation | ScopeState): entry is ScopeState {
  return entry instanceof ScopeState;
}

/** What a fail-safe decision did: TTL 0, or in shadow mode nothing (the base TTL was served). */
function actionOf(decision: TtlDecision, served: TtlDecision): string {
  return served === decision ? 'fail_safe_panic_full' : 'shadow_base_ttl_served';
}

/** An observation whose answer did not come within what was left of the caller's `timeoutMs`. */
function timedOut(pending: PendingObservation): PendingObservation {
  return { ...pending, obs: null, failure: 'store_timeout' };
}

/** Whether what the clock said serves a caller: a panic needs a running panic (else it must be written), calm needs none (else it must be ended), a read takes anything. */
function agrees(kind: ObservationKind, active: boolean): boolean {
  return kind === 'read' || (kind === 'panic') === active;
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
