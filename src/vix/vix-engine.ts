import { VIX_STATUSES, type VixStatus } from '../policy/vix-status.js';
import { GLOBAL_SCOPE, SCOPE_PATTERN } from '../clock/scope.js';
import { InvalidInputError } from '../core/errors.js';
import { EventEmitter, subscribeHooks, type Event } from '../core/event.js';
import { ScopeVolatility } from './scope-volatility.js';
import { StatusHysteresis, type PendingStatus } from './status-hysteresis.js';
import { ACCEPTED, REJECT_REASONS, REJECTED, REJECT_RULES, type BatchResult, type IngestResult, type RejectReason } from './tick.js';
import { tickTimeMs } from './tick-time.js';
import type { TransitionCause, VixIndexEvent, VixPriceChangeEvent, VixRejectEvent, VixTransition } from './vix-hooks.js';
import { resolveVixOptions, type ResolvedVixOptions, type VixEngineOptions } from './vix-options.js';

/** What the engine knows about one scope, for `/v1/state`, the dashboard and the replay report. */
export interface VixScopeSnapshot {
  scope: string;
  status: VixStatus;
  /** Fast variance / slow variance (each plus the floor): 1 is usual, 4 is four times the usual volatility. */
  index: number;
  /** False until the warm-up is done; the status stays calm until then. */
  warm: boolean;
  fastVariance: number;
  slowVariance: number;
  /** Whether the baseline is frozen (`freezeBaseline` on, warm, and not calm or rising). */
  baselineFrozen: boolean;
  ticks: number;
  returns: number;
  /** Tick time of the scope's first and newest tick (ms). */
  firstTs: number;
  lastTs: number;
  /** Tick time of the last status change; null while it has always been calm. */
  statusSince: number | null;
  /** A status change under way and when it happens if the index holds; null when none. */
  pending: PendingStatus | null;
}

/** Counters of {@link VixEngine.stats}. */
export interface VixEngineStats {
  accepted: number;
  rejected: number;
  /** Ticks not used, by reason (every reason present, 0 when none). */
  byReason: Record<RejectReason, number>;
  transitions: number;
  markets: number;
  scopes: number;
  /** Scopes evicted to make room for a new one (the table held `maxScopes`). */
  evictedScopes: number;
  /** Newest tick time seen (ms); null before the first tick. */
  timeMs: number | null;
}

/** Options of one {@link VixEngine.ingest} or {@link VixEngine.ingestBatch} call. */
export interface VixIngestOptions {
  /**
   * Latest acceptable tick time, ms since the epoch: a later tick is rejected
   * (`future_ts`). The service passes its wall clock plus a skew; a replay leaves it
   * out, so the engine stays a function of the ticks.
   */
  notAfterMs?: number | undefined;
}

interface MarketState {
  lastTs: number;
  lnPrice: number;
}

class ScopeState {
  readonly volatility: ScopeVolatility;
  readonly status: StatusHysteresis;
  readonly firstTs: number;
  time: number;
  ticks = 0;
  index = 1;
  warm = false;
  /** The eviction list the scope is on (by status and warm-up), or null (global, or in panic), and its neighbours there. */
  bucket: EvictionList | null = null;
  prev: ScopeState | null = null;
  next: ScopeState | null = null;

  constructor(readonly name: string, options: ResolvedVixOptions, ts: number) {
    this.volatility = new ScopeVolatility(options.fastHalfLifeMs, options.slowHalfLifeMs, options.varianceFloor, options.spikeCap);
    this.status = new StatusHysteresis(options);
    this.firstTs = ts;
    this.time = ts;
  }
}

/**
 * Scopes of one kind, least recently ticked first: a doubly linked list through the
 * scopes themselves, so moving one to the end and taking the first are O(1) (a `Map`
 * used as a queue leaves deleted entries at its front that every `keys().next()` skips).
 */
class EvictionList {
  head: ScopeState | null = null;
  tail: ScopeState | null = null;

  push(state: ScopeState): void {
    state.bucket = this;
    state.prev = this.tail;
    state.next = null;
    if (this.tail) this.tail.next = state;
    else this.head = state;
    this.tail = state;
  }

  remove(state: ScopeState): void {
    if (state.prev) state.prev.next = state.next;
    else this.head = state.next;
    if (state.next) state.next.prev = state.prev;
    else this.tail = state.prev;
    state.bucket = state.prev = state.next = null;
  }
}

const SWEEP_EVERY_MS = 1000;
const NO_OPTIONS: VixIngestOptions = Object.freeze({});

/**
 * Turns odds ticks into a volatility index and a `calm | elevated | panic` status
 * per scope. Pure and deterministic: time comes from the ticks only, so the same
 * tick stream always gives the same timeline. Bad ticks are counted and dropped,
 * never thrown. Every tick feeds `global` and, when it names one, its own scope.
 *
 * Time is guarded against a broken feed: a tick more than `maxLeadMs` ahead of the
 * engine's time (the newest time `timeQuorum` markets have reached) is rejected
 * (`future_ts`), so no single market can move the time far enough to expire the
 * others; only `leapTicks` such ticks in a row move it (the whole feed moved on).
 */
export class VixEngine {
  /** The validated options, frozen. */
  readonly options: ResolvedVixOptions;
  readonly #markets = new Map<string, MarketState>();
  readonly #scopes = new Map<string, ScopeState>();
  readonly #rejected: Record<RejectReason, number>;
  readonly #transitionEvents = new EventEmitter<VixTransition>();
  readonly #indexEvents = new EventEmitter<VixIndexEvent>();
  readonly #rejectEvents = new EventEmitter<VixRejectEvent>();
  readonly #priceChangeEvents = new EventEmitter<VixPriceChangeEvent>();
  // Eviction lists, least recently ticked first: calm scopes still warming up, warm calm ones, elevated ones.
  readonly #cold = new EvictionList();
  readonly #calm = new EvictionList();
  readonly #elevated = new EvictionList();
  // The newest tick time of the `timeQuorum` markets ahead of all others, newest first.
  readonly #quorumMarkets: string[] = [];
  readonly #quorumTimes: number[] = [];
  #accepted = 0;
  #transitions = 0;
  #evicted = 0;
  #timeMs = Number.NaN;
  #nextSweepMs = Number.NaN;
  /** Time given by `advanceTo` (or a leap): the engine's time is at least this. */
  #floorMs = Number.NaN;
  /** Ticks in a row rejected as too far ahead. */
  #leapRun = 0;

  /** Subscribes to status changes (the publisher, the service's event stream and metrics). Runs inside `ingest`: keep it cheap. */
  readonly onTransition: Event<VixTransition> = this.#transitionEvents.event;
  /** Subscribes to every accepted tick's index, once per scope it fed (so at least `global`): keep it cheap, or sample `snapshot()` instead. */
  readonly onIndex: Event<VixIndexEvent> = this.#indexEvents.event;
  /** Subscribes to the ticks rejected or ignored. */
  readonly onReject: Event<VixRejectEvent> = this.#rejectEvents.event;
  /**
   * Subscribes to accepted ticks that moved their market's price (a repeat of the same
   * price is not a change): what change-aware cache invalidation listens to.
   */
  readonly onPriceChange: Event<VixPriceChangeEvent> = this.#priceChangeEvents.event;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(options?: VixEngineOptions) {
    this.options = resolveVixOptions(options);
    this.#rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
    subscribeHooks(this.options.hooks, { onTransition: this.onTransition, onIndex: this.onIndex, onReject: this.onReject, onPriceChange: this.onPriceChange }, 'VixEngine.hooks');
  }

  /**
   * Takes one tick. Never throws: a bad tick is dropped, counted under its reason and
   * emitted to `onReject`; the answer says which (see {@link REJECT_RULES}).
   */
  ingest(tick: unknown, options: VixIngestOptions = NO_OPTIONS): IngestResult {
    let reason: RejectReason | null;
    try {
      reason = this.#apply(tick, options.notAfterMs ?? Number.POSITIVE_INFINITY);
    } catch {
      reason = 'malformed'; // a tick whose getters throw
    }
    if (reason === null) {
      this.#accepted += 1;
      return ACCEPTED;
    }
    this.#rejected[reason] += 1;
    if (this.#rejectEvents.size > 0) this.#rejectEvents.emit({ reason, rule: REJECT_RULES[reason], tick });
    return REJECTED[reason];
  }

  /**
   * Takes a batch of ticks in order (what `POST /v1/ticks` receives).
   * @throws InvalidInputError when `ticks` is not an array; single bad ticks never throw.
   */
  ingestBatch(ticks: readonly unknown[], options: VixIngestOptions = NO_OPTIONS): BatchResult {
    if (!Array.isArray(ticks)) throw new InvalidInputError('ticks', 'must be an array of ticks', ticks);
    const results: IngestResult[] = new Array<IngestResult>(ticks.length);
    const rejections: BatchResult['rejections'] = [];
    let accepted = 0;
    for (let i = 0; i < ticks.length; i += 1) {
      const result = this.ingest(ticks[i], options);
      results[i] = result;
      if (result.accepted) accepted += 1;
      else rejections.push({ index: i, reason: result.reason, rule: result.rule });
    }
    return { accepted, rejected: ticks.length - accepted, results, rejections };
  }

  /**
   * Moves the engine's time forward without a tick (a feed that went silent), so idle
   * scopes expire; ticks up to `maxLeadMs` past it are then taken. A time at or before
   * the newest tick moves nothing. The service calls it with the wall clock; replays
   * never need it.
   * @throws InvalidInputError when `ts` is not a valid tick time.
   */
  advanceTo(ts: number): void {
    const ms = tickTimeMs(ts);
    if (Number.isNaN(ms)) throw new InvalidInputError('ts', 'must be ms since the epoch (a finite number ≥ 0)', ts);
    if (!(ms <= this.#floorMs)) this.#floorMs = ms;
    if (ms > this.#timeMs || Number.isNaN(this.#timeMs)) this.#advance(ms);
  }

  /** The status of a scope (`global` by default); calm for a scope never seen. */
  status(scope: string = GLOBAL_SCOPE): VixStatus {
    return this.#scopes.get(scope)?.status.status ?? 'calm';
  }

  /** The state of one scope, or null for a scope never seen (or dropped as idle). */
  snapshot(scope: string = GLOBAL_SCOPE): VixScopeSnapshot | null {
    const state = this.#scopes.get(scope);
    return state ? this.#snapshotOf(state) : null;
  }

  /** Every scope's state, `global` first. */
  snapshots(): VixScopeSnapshot[] {
    const all = [...this.#scopes.values()].map((s) => this.#snapshotOf(s));
    return all.sort((a, b) => (a.scope === GLOBAL_SCOPE ? -1 : b.scope === GLOBAL_SCOPE ? 1 : a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  }

  /** Names of the scopes the engine holds, in no particular order. */
  scopeNames(): IterableIterator<string> {
    return this.#scopes.keys();
  }

  /** Counters: ticks accepted, rejected by reason, transitions, markets and scopes held. */
  stats(): VixEngineStats {
    return {
      accepted: this.#accepted,
      rejected: REJECT_REASONS.reduce((sum, r) => sum + this.#rejected[r], 0),
      byReason: { ...this.#rejected },
      transitions: this.#transitions,
      markets: this.#markets.size,
      scopes: this.#scopes.size,
      evictedScopes: this.#evicted,
      timeMs: Number.isNaN(this.#timeMs) ? null : this.#timeMs,
    };
  }

  /** Validates a tick and applies it; returns why it was not used, or null. */
  #apply(tick: unknown, notAfterMs: number): RejectReason | null {
    if (typeof tick !== 'object' || tick === null || Array.isArray(tick)) return 'malformed';
    const { market, price, ts: rawTs, scope: rawScope } = tick as Record<string, unknown>;
    if (market === undefined || market === null || price === undefined || price === null || rawTs === undefined || rawTs === null) return 'missing_field';
    if (typeof market !== 'string' || market.length === 0 || market.length > 200) return 'bad_market';
    if (typeof price !== 'number' || !(price > 1) || price === Number.POSITIVE_INFINITY) return 'bad_price';
    const ts = tickTimeMs(rawTs);
    if (Number.isNaN(ts)) return 'bad_ts';
    if (ts > notAfterMs) return 'future_ts';
    let scopeName: string | null = null;
    let full = false;
    if (rawScope !== undefined && rawScope !== null && rawScope !== '' && rawScope !== GLOBAL_SCOPE) {
      if (typeof rawScope !== 'string') return 'bad_scope';
      if (!this.#scopes.has(rawScope)) {
        if (!SCOPE_PATTERN.test(rawScope)) return 'bad_scope';
        full = this.#namedScopes() >= this.options.maxScopes;
        if (full && this.#victim() === undefined) return 'too_many_scopes';
      }
      scopeName = rawScope;
    }
    const state = this.#markets.get(market);
    if (state !== undefined) {
      if (ts < state.lastTs) return 'out_of_order';
      if (ts === state.lastTs) return 'duplicate';
    }
    if (ts > this.#referenceMs() + this.options.maxLeadMs) {
      this.#leapRun += 1;
      if (this.#leapRun < this.options.leapTicks) return 'future_ts';
      this.#leap(ts);
    }
    this.#leapRun = 0;
    // Valid: from here on the tick changes state. Advancing first may drop idle scopes.
    if (ts > this.#timeMs || Number.isNaN(this.#timeMs)) this.#advance(ts);
    if (full && this.#namedScopes() >= this.options.maxScopes) {
      const victim = this.#victim();
      if (victim === undefined) return 'too_many_scopes'; // not reached: only an idle sweep ran since the check, and it frees room
      this.#evict(victim, ts);
    }
    const lnPrice = Math.log(price);
    let squaredReturn = -1;
    if (state === undefined) this.#addMarket(market, ts, lnPrice);
    else {
      if (ts - state.lastTs <= this.options.maxGapMs) {
        const r = state.lnPrice - lnPrice; // ln(1/price) − ln(1/previous price)
        squaredReturn = r * r;
      }
      const previous = state.lnPrice;
      state.lastTs = ts;
      state.lnPrice = lnPrice;
      if (lnPrice !== previous && this.#priceChangeEvents.size > 0) {
        this.#priceChangeEvents.emit({ market, scope: scopeName, ts, price, previousPrice: Math.exp(previous) });
      }
    }
    this.#noteMarketTime(market, ts);
    this.#feed(this.#scopeOrCreate(GLOBAL_SCOPE, ts), ts, squaredReturn);
    if (scopeName !== null) this.#feed(this.#scopeOrCreate(scopeName, ts), ts, squaredReturn);
    return null;
  }

  #namedScopes(): number {
    return this.#scopes.size - (this.#scopes.has(GLOBAL_SCOPE) ? 1 : 0);
  }

  /**
   * The engine's time for judging how far ahead a tick is: the newest time that
   * `timeQuorum` markets have reached (all of them while fewer are known), or the
   * last `advanceTo`/leap if later. NaN before anything (the first tick is taken).
   */
  #referenceMs(): number {
    const times = this.#quorumTimes;
    const quorum = times.length === 0 ? Number.NaN : times[Math.min(this.options.timeQuorum, times.length) - 1]!;
    if (Number.isNaN(this.#floorMs)) return quorum;
    return quorum > this.#floorMs ? quorum : this.#floorMs;
  }

  /** Keeps the `timeQuorum` markets with the newest tick times (a market's time only grows). */
  #noteMarketTime(market: string, ts: number): void {
    const markets = this.#quorumMarkets;
    const times = this.#quorumTimes;
    let i = markets.indexOf(market);
    if (i < 0) {
      if (markets.length < this.options.timeQuorum) {
        i = markets.length;
        markets.push(market);
        times.push(ts);
      } else {
        i = markets.length - 1;
        if (ts <= times[i]!) return;
        markets[i] = market;
      }
    }
    times[i] = ts;
    for (; i > 0 && times[i]! > times[i - 1]!; i -= 1) {
      [times[i], times[i - 1]] = [times[i - 1]!, times[i]!];
      [markets[i], markets[i - 1]] = [markets[i - 1]!, markets[i]!];
    }
  }

  /** `leapTicks` ticks in a row were too far ahead: the whole feed moved on, so the engine's time follows. */
  #leap(ts: number): void {
    this.#quorumMarkets.length = 0;
    this.#quorumTimes.length = 0;
    this.#floorMs = ts;
  }

  /** The scope a new one replaces when the table is full: calm warming up, then calm, then elevated, least recently ticked first; never one in panic. */
  #victim(): ScopeState | undefined {
    return this.#cold.head ?? this.#calm.head ?? this.#elevated.head ?? undefined;
  }

  #evict(state: ScopeState, ts: number): void {
    this.#evicted += 1;
    this.#drop(state, ts, 'evicted');
  }

  /** Forgets a scope; one that was not calm becomes calm at `ts` (a transition with `cause`). */
  #drop(state: ScopeState, ts: number, cause: TransitionCause): void {
    this.#scopes.delete(state.name);
    state.bucket?.remove(state);
    if (state.status.level === 0) return;
    const from = state.status.level;
    state.status.reset(0, ts);
    this.#transition(state, from, 0, ts, cause);
  }

  /** Puts a named scope at the end (most recently ticked) of the eviction list of its status. */
  #file(state: ScopeState): void {
    const level = state.status.level;
    const bucket = level === 2 ? null : level === 1 ? this.#elevated : state.warm ? this.#calm : this.#cold;
    if (bucket !== null && bucket.tail === state) return; // already the most recently ticked of its list
    state.bucket?.remove(state);
    bucket?.push(state);
  }

  #addMarket(market: string, ts: number, lnPrice: number): void {
    if (this.#markets.size >= this.options.maxMarkets) {
      const oldest = this.#markets.keys().next();
      if (!oldest.done) this.#markets.delete(oldest.value);
    }
    this.#markets.set(market, { lastTs: ts, lnPrice });
  }

  #scopeOrCreate(name: string, ts: number): ScopeState {
    let state = this.#scopes.get(name);
    if (state === undefined) {
      state = new ScopeState(name, this.options, ts);
      this.#scopes.set(name, state);
    }
    return state;
  }

  /** One tick into one scope: the variance (when there is a return), then the status. */
  #feed(state: ScopeState, ts: number, squaredReturn: number): void {
    if (ts > state.time) state.time = ts; // a late tick of another market counts at the scope's time
    const t = state.time;
    state.ticks += 1;
    const o = this.options;
    if (squaredReturn >= 0) state.volatility.add(t, squaredReturn, this.#learnsBaseline(state));
    const index = state.volatility.index;
    state.index = index;
    if (!state.warm && state.volatility.returns >= o.warmupReturns && t - state.firstTs >= o.warmupMs) state.warm = true;
    const from = state.status.level;
    const to = state.status.evaluate(t, index, state.warm);
    if (to >= 0) this.#transition(state, from, to, t, 'index');
    if (state.name !== GLOBAL_SCOPE) this.#file(state);
    if (this.#indexEvents.size > 0) this.#indexEvents.emit({ scope: state.name, ts: t, index, status: state.status.status, warm: state.warm });
  }

  /**
   * The baseline learns during warm-up, and afterwards only while the scope is calm
   * and no rise is under way (index below elevated.enter), so the first seconds of a
   * shock do not leak into the calm it is measured against.
   */
  #learnsBaseline(state: ScopeState): boolean {
    if (!this.options.freezeBaseline || !state.warm) return true;
    return state.status.level === 0 && state.index < this.options.elevated.enter;
  }

  #transition(state: ScopeState, from: number, to: number, ts: number, cause: TransitionCause): void {
    this.#transitions += 1;
    if (this.#transitionEvents.size === 0) return;
    this.#transitionEvents.emit({ scope: state.name, from: VIX_STATUSES[from]!, to: VIX_STATUSES[to]!, ts, index: state.index, cause });
  }

  /** Moves engine time to `ts` and, once per second of it, drops scopes idle for `scopeIdleMs`. */
  #advance(ts: number): void {
    this.#timeMs = ts;
    if (ts < this.#nextSweepMs) return;
    this.#nextSweepMs = ts + SWEEP_EVERY_MS;
    const idleBefore = ts - this.options.scopeIdleMs;
    for (const state of this.#scopes.values()) {
      if (state.time >= idleBefore) continue;
      this.#drop(state, state.time + this.options.scopeIdleMs, 'idle');
    }
  }

  #snapshotOf(state: ScopeState): VixScopeSnapshot {
    const { volatility, status } = state;
    return {
      scope: state.name,
      status: status.status,
      index: state.index,
      warm: state.warm,
      fastVariance: volatility.fastVariance,
      slowVariance: volatility.slowVariance,
      baselineFrozen: !this.#learnsBaseline(state),
      ticks: state.ticks,
      returns: volatility.returns,
      firstTs: state.firstTs,
      lastTs: state.time,
      statusSince: Number.isNaN(status.since) ? null : status.since,
      pending: state.warm ? status.pending(state.index) : null,
    };
  }
}
