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
  /**
   * False until the warm-up is done (`warmupReturns` returns, `warmupMs` of the engine's
   * time since the scope was first seen, `minMarkets` distinct markets); the status stays
   * calm until then.
   */
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
  /** Newest tick time taken (or given by `advanceTo`, or a leap), ms; null before the first tick. */
  timeMs: number | null;
  /**
   * The engine's time (ms; null before the first tick): the newest time a quorum of the
   * active markets has reached, or the last `advanceTo` if later. Ticks are judged, scopes
   * expire and warm up against it.
   */
  engineTimeMs: number | null;
  /** Times the engine's time jumped because a quorum of markets said so: `forward` (a feed moving on), `backward` (back from a leap). */
  leaps: { forward: number; backward: number };
  /** Markets that ticked within `maxLeadMs / 2` of the engine's time, at most {@link MAX_ACTIVE_MARKETS} (the base of the quorums). */
  activeMarkets: number;
}

/** Options of one {@link VixEngine.ingest} or {@link VixEngine.ingestBatch} call. */
export interface VixIngestOptions {
  /**
   * Latest acceptable tick time, ms since the epoch: a later tick is rejected
   * (`future_ts`). The service passes its wall clock plus a skew; a replay leaves it
   * out, so the engine stays a function of the ticks.
   */
  notAfterMs?: number | undefined;
  /**
   * Earliest acceptable tick time, ms since the epoch: an earlier tick is rejected
   * (`stale_ts`). The service passes its wall clock minus a maximum age, so a feed in
   * seconds (1.7e9 ms is January 1970) or a stale backlog is counted and alerted on.
   */
  notBeforeMs?: number | undefined;
}

/** The last tick of one market, and its place in the engine's time bookkeeping. */
class MarketState {
  /** In the list of active markets (ticked within `maxLeadMs / 2` of the engine's time), and its neighbours there. */
  active = false;
  prev: MarketState | null = null;
  next: MarketState | null = null;
  /** Its time is ahead of the engine's time (counted in the quorum heap). */
  ahead = false;
  /** Forgotten (`maxMarkets`): its heap entries are void. */
  gone = false;

  constructor(readonly name: string, public lastTs: number, public lnPrice: number) {}
}

class ScopeState {
  readonly volatility: ScopeVolatility;
  readonly status: StatusHysteresis;
  readonly firstTs: number;
  /** The engine's time when the scope was first seen: warm-up is measured from it, on the engine's time. */
  readonly bornMs: number;
  time: number;
  ticks = 0;
  index = 1;
  warm = false;
  /** Distinct markets seen, kept until there are `minMarkets` (then null: enough). */
  markets: Set<string> | null;
  /** The eviction list the scope is on (by status and warm-up), or null (global, or in panic), and its neighbours there. */
  bucket: EvictionList | null = null;
  prev: ScopeState | null = null;
  next: ScopeState | null = null;

  constructor(readonly name: string, options: ResolvedVixOptions, ts: number, bornMs: number) {
    this.volatility = new ScopeVolatility(options.fastHalfLifeMs, options.slowHalfLifeMs, options.varianceFloor, options.spikeCap);
    this.status = new StatusHysteresis(options);
    this.firstTs = ts;
    this.time = ts;
    this.bornMs = bornMs;
    this.markets = options.minMarkets > 1 ? new Set() : null;
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
/**
 * Most active markets the quorums count (the most recently ticked): a flood of junk
 * markets that tick once cannot raise the quorum past half of this and freeze the time,
 * and taking a live market out of the count takes as many distinct new markets.
 */
export const MAX_ACTIVE_MARKETS = 1024;
const NO_OPTIONS: VixIngestOptions = Object.freeze({});

/**
 * Turns odds ticks into a volatility index and a `calm | elevated | panic` status
 * per scope. Pure and deterministic: time comes from the ticks only, so the same
 * tick stream always gives the same timeline. Bad ticks are counted and dropped,
 * never thrown. Every tick feeds `global` and, when it names one, its own scope.
 *
 * Time is guarded against a broken or hostile feed. The engine's time is the newest
 * time a quorum of the active markets has reached — `max(timeQuorum, ⌈quorumShare ×
 * active⌉)` markets, active meaning ticked within `maxLeadMs / 2` — or the last `advanceTo`.
 * A tick more than `maxLeadMs` ahead of it is rejected (`future_ts`), more than
 * `maxLagMs` behind it `stale_ts`; each such tick is its market's claim of the time, and
 * the engine leaps only when as many distinct markets claim it (forward: a quorum; back,
 * without `advanceTo`: more markets than are active), never past what that many reached.
 * Warm-up is measured on the engine's time since a scope was first seen, and needs
 * `minMarkets` distinct markets, so ticks claiming old times cannot warm a scope at once.
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
  // Active markets (ticked within maxLeadMs / 2 of the engine's time), least recently ticked first.
  #activeHead: MarketState | null = null;
  #activeTail: MarketState | null = null;
  #activeCount = 0;
  // Markets ahead of the engine's time, in a min-heap of their tick times (entries of an older tick are void).
  #heapTs: number[] = [];
  #heapMarkets: MarketState[] = [];
  #aheadCount = 0;
  // Ticks too far ahead or behind, by market: each market's latest claimed time.
  readonly #forwardClaims = new Map<string, number>();
  readonly #backwardClaims = new Map<string, number>();
  #accepted = 0;
  #transitions = 0;
  #evicted = 0;
  #leapsForward = 0;
  #leapsBackward = 0;
  /** Ticks in a row claiming a time too far ahead (none taken in between). */
  #claimRun = 0;
  /** The engine's time (see the class comment); NaN before the first tick. */
  #timeMs = Number.NaN;
  /** Newest tick time taken (or time given). */
  #newestMs = Number.NaN;
  #nextSweepMs = Number.NaN;
  /** Time given by `advanceTo`: the engine's time is at least this, and never leaps back. */
  #floorMs = Number.NaN;

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
      reason = this.#apply(tick, options.notAfterMs ?? Number.POSITIVE_INFINITY, options.notBeforeMs ?? Number.NEGATIVE_INFINITY);
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
   * the engine's time moves nothing. Once called, the engine's time never leaps back
   * below it: the caller's clock (the service's wall clock) is the authority. Replays
   * never need it.
   * @throws InvalidInputError when `ts` is not a valid tick time.
   */
  advanceTo(ts: number): void {
    const ms = tickTimeMs(ts);
    if (Number.isNaN(ms)) throw new InvalidInputError('ts', 'must be ms since the epoch (a finite number ≥ 0)', ts);
    if (!(ms <= this.#floorMs)) this.#floorMs = ms;
    if (!(ms <= this.#newestMs)) this.#newestMs = ms;
    if (ms > this.#timeMs || Number.isNaN(this.#timeMs)) this.#moveTo(ms);
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

  /** Counters: ticks accepted, rejected by reason, transitions, markets and scopes held, the engine's time. */
  stats(): VixEngineStats {
    return {
      accepted: this.#accepted,
      rejected: REJECT_REASONS.reduce((sum, r) => sum + this.#rejected[r], 0),
      byReason: { ...this.#rejected },
      transitions: this.#transitions,
      markets: this.#markets.size,
      scopes: this.#scopes.size,
      evictedScopes: this.#evicted,
      timeMs: Number.isNaN(this.#newestMs) ? null : this.#newestMs,
      engineTimeMs: Number.isNaN(this.#timeMs) ? null : this.#timeMs,
      leaps: { forward: this.#leapsForward, backward: this.#leapsBackward },
      activeMarkets: this.#activeCount,
    };
  }

  /** Validates a tick and applies it; returns why it was not used, or null. */
  #apply(tick: unknown, notAfterMs: number, notBeforeMs: number): RejectReason | null {
    if (typeof tick !== 'object' || tick === null || Array.isArray(tick)) return 'malformed';
    const { market, price, ts: rawTs, scope: rawScope } = tick as Record<string, unknown>;
    if (market === undefined || market === null || price === undefined || price === null || rawTs === undefined || rawTs === null) return 'missing_field';
    if (typeof market !== 'string' || market.length === 0 || market.length > 200) return 'bad_market';
    if (typeof price !== 'number' || !(price > 1) || price === Number.POSITIVE_INFINITY) return 'bad_price';
    const ts = tickTimeMs(rawTs);
    if (Number.isNaN(ts)) return 'bad_ts';
    if (ts > notAfterMs) return 'future_ts';
    if (ts < notBeforeMs) return 'stale_ts';
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
    let state = this.#markets.get(market);
    if (state !== undefined) {
      if (ts < state.lastTs) return 'out_of_order';
      if (ts === state.lastTs) return 'duplicate';
    }
    const now = this.#timeMs;
    if (Number.isNaN(now)) this.#moveTo(ts); // the first tick sets the time
    else if (ts > now + this.options.maxLeadMs) {
      if (!this.#claimForward(market, ts) || ts > this.#timeMs + this.options.maxLeadMs) return 'future_ts';
      state = this.#markets.get(market); // a leap back may have forgotten it
    } else if (ts < now - this.options.maxLagMs) {
      if (!this.#claimBackward(market, ts) || ts < this.#timeMs - this.options.maxLagMs) return 'stale_ts';
      state = this.#markets.get(market);
    }
    // Valid: from here on the tick changes state. A run of claims is broken.
    if (this.#claimRun > 0 || this.#backwardClaims.size > 0) this.#endClaims();
    if (full && this.#namedScopes() >= this.options.maxScopes) {
      const victim = this.#victim();
      if (victim === undefined) return 'too_many_scopes'; // not reached: only an idle sweep ran since the check, and it frees room
      this.#evict(victim, ts);
    }
    const lnPrice = Math.log(price);
    let squaredReturn = -1;
    if (state === undefined) state = this.#addMarket(market, ts, lnPrice);
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
    if (!(ts <= this.#newestMs)) this.#newestMs = ts;
    this.#touch(state);
    if (ts > this.#timeMs) this.#markAhead(state);
    this.#feed(this.#scopeOrCreate(GLOBAL_SCOPE, ts), ts, squaredReturn, market);
    if (scopeName !== null) this.#feed(this.#scopeOrCreate(scopeName, ts), ts, squaredReturn, market);
    this.#settle();
    return null;
  }

  #namedScopes(): number {
    return this.#scopes.size - (this.#scopes.has(GLOBAL_SCOPE) ? 1 : 0);
  }

  /**
   * How many markets must have reached a time for it to become the engine's time, step
   * by step: `max(timeQuorum, ⌈quorumShare × active⌉)`, never more than the active
   * markets (one market alone is its own quorum).
   */
  #quorum(): number {
    return this.#capped(Math.max(this.options.timeQuorum, Math.ceil(this.options.quorumShare * this.#activeCount)));
  }

  /**
   * How many distinct markets must claim a time too far ahead for a leap:
   * `max(min(leapQuorum, active), ⌈quorumShare × active⌉, 1)`.
   */
  #leapQuorum(): number {
    const active = this.#activeCount;
    return Math.max(Math.min(this.options.leapQuorum, active), Math.ceil(this.options.quorumShare * active), 1);
  }

  #capped(wanted: number): number {
    return Math.max(1, Math.min(wanted, this.#activeCount));
  }

  // ----- active markets -----

  /** A market just ticked: it is active, and the most recently ticked (past {@link MAX_ACTIVE_MARKETS}, the least recently ticked is not). */
  #touch(state: MarketState): void {
    if (state.active) {
      if (this.#activeTail === state) return;
      this.#unlinkActive(state);
    } else {
      if (this.#activeCount >= MAX_ACTIVE_MARKETS) this.#deactivate(this.#activeHead!);
      this.#activeCount += 1;
    }
    state.active = true;
    state.prev = this.#activeTail;
    state.next = null;
    if (this.#activeTail) this.#activeTail.next = state;
    else this.#activeHead = state;
    this.#activeTail = state;
  }

  #unlinkActive(state: MarketState): void {
    if (state.prev) state.prev.next = state.next;
    else this.#activeHead = state.next;
    if (state.next) state.next.prev = state.prev;
    else this.#activeTail = state.prev;
    state.prev = state.next = null;
  }

  #deactivate(state: MarketState): void {
    if (!state.active) return;
    this.#unlinkActive(state);
    state.active = false;
    this.#activeCount -= 1;
  }

  /** Markets whose last tick is older than `maxLeadMs / 2` before the engine's time leave the active ones; returns whether any did. */
  #trimActive(): boolean {
    const before = this.#timeMs - this.options.maxLeadMs / 2;
    let trimmed = false;
    while (this.#activeHead !== null && this.#activeHead.lastTs < before) {
      this.#deactivate(this.#activeHead);
      trimmed = true;
    }
    return trimmed;
  }

  // ----- the quorum heap -----

  #markAhead(state: MarketState): void {
    if (!state.ahead) {
      state.ahead = true;
      this.#aheadCount += 1;
    }
    this.#heapPush(state.lastTs, state);
    if (this.#heapTs.length > 2 * this.#aheadCount + 1024) this.#rebuildHeap();
  }

  /** Moves the engine's time to the newest time a quorum of markets has reached, if later. */
  #settle(): void {
    for (;;) {
      let t = this.#timeMs;
      const quorum = this.#quorum();
      while (this.#heapTs.length > 0) {
        const ts = this.#heapTs[0]!;
        const state = this.#heapMarkets[0]!;
        if (!state.ahead || state.gone || state.lastTs !== ts) {
          this.#heapPop();
          continue;
        }
        if (this.#aheadCount < quorum && ts > t) break;
        this.#heapPop();
        state.ahead = false;
        this.#aheadCount -= 1;
        if (ts > t) t = ts;
      }
      if (!(t > this.#timeMs)) return;
      if (!this.#moveTo(t)) return; // fewer active markets may lower the quorum: settle again
    }
  }

  #heapPush(ts: number, state: MarketState): void {
    const times = this.#heapTs;
    const markets = this.#heapMarkets;
    let i = times.length;
    times.push(ts);
    markets.push(state);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= ts) break;
      times[i] = times[parent]!;
      markets[i] = markets[parent]!;
      i = parent;
    }
    times[i] = ts;
    markets[i] = state;
  }

  #heapPop(): void {
    const times = this.#heapTs;
    const markets = this.#heapMarkets;
    const lastTs = times.pop()!;
    const lastMarket = markets.pop()!;
    const n = times.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && times[child + 1]! < times[child]!) child += 1;
      if (times[child]! >= lastTs) break;
      times[i] = times[child]!;
      markets[i] = markets[child]!;
      i = child;
    }
    times[i] = lastTs;
    markets[i] = lastMarket;
  }

  /** Drops void entries (a market's older ticks): the heap holds at most about twice the markets ahead. */
  #rebuildHeap(): void {
    const times = this.#heapTs;
    const markets = this.#heapMarkets;
    this.#heapTs = [];
    this.#heapMarkets = [];
    for (let i = 0; i < times.length; i += 1) {
      const state = markets[i]!;
      if (state.ahead && !state.gone && state.lastTs === times[i]) this.#heapPush(times[i]!, state);
    }
  }

  // ----- leaps -----

  /**
   * A tick too far ahead: its market's claim. Claims count in an unbroken run (no tick
   * taken in between). When the run holds `leapTicks` claims from as many distinct markets
   * as {@link #leapQuorum} — or `leapTicks + 2 × leapQuorum()` claims from `min(leapQuorum,
   * active)` markets — the feed moved on: the engine's time leaps to the newest time that
   * many markets reached (never further), and the scopes left behind go idle. Returns
   * whether it leapt.
   */
  #claimForward(market: string, ts: number): boolean {
    const claims = this.#forwardClaims;
    if (!this.#noteClaim(claims, market, ts)) return false;
    this.#claimRun += 1;
    const { leapTicks } = this.options;
    if (this.#claimRun < leapTicks) return false;
    // A burst of leapTicks from a quorum of markets, or a run longer than the active markets from a few (a live
    // feed whose other markets all went silent, junk ones included), is the feed moving on.
    const quorum = this.#leapQuorum();
    const needed = this.#claimRun >= leapTicks + 2 * quorum ? Math.max(1, Math.min(this.options.leapQuorum, this.#activeCount)) : quorum;
    if (claims.size < needed) return false;
    const limit = this.#timeMs + this.options.maxLeadMs;
    const valid = this.#validClaims(claims, (c) => c > limit);
    if (valid.length < needed) return false;
    this.#leapsForward += 1;
    this.#endClaims();
    this.#moveTo(valid[needed - 1]!);
    this.#settle();
    return true;
  }

  /**
   * A tick too far behind: its market's claim. Only without `advanceTo` (no outside
   * clock): when, in an unbroken run of claims, more distinct markets claim older times
   * than are active at the engine's time (and at least `timeQuorum`), it leaps back to the
   * newest time that many reached — how an engine that leapt on a hostile burst comes
   * back to the real feed. Scopes and markets then ahead of it by more than `maxLeadMs`
   * are dropped. Returns whether it leapt.
   */
  #claimBackward(market: string, ts: number): boolean {
    if (!Number.isNaN(this.#floorMs)) return false;
    const claims = this.#backwardClaims;
    if (!this.#noteClaim(claims, market, ts)) return false;
    const needed = Math.max(this.options.timeQuorum, this.#activeCount + 1);
    if (claims.size < needed) return false;
    const limit = this.#timeMs - this.options.maxLagMs;
    const valid = this.#validClaims(claims, (c) => c < limit);
    if (valid.length < needed) return false;
    this.#leapsBackward += 1;
    this.#endClaims();
    this.#leapBack(valid[needed - 1]!);
    this.#settle();
    return true;
  }

  /** A tick was taken (or the time leapt): claims only count in an unbroken run. */
  #endClaims(): void {
    this.#claimRun = 0;
    this.#forwardClaims.clear();
    this.#backwardClaims.clear();
  }

  /** Keeps a market's latest claim; false when the table of claims is full (`maxMarkets`) and the market has none. */
  #noteClaim(claims: Map<string, number>, market: string, ts: number): boolean {
    if (!claims.has(market) && claims.size >= this.options.maxMarkets) return false;
    claims.set(market, ts);
    return true;
  }

  /** The claimed times still outside the window, newest first; the claims inside it are forgotten. */
  #validClaims(claims: Map<string, number>, outside: (ts: number) => boolean): number[] {
    const valid: number[] = [];
    for (const [market, ts] of claims) {
      if (outside(ts)) valid.push(ts);
      else claims.delete(market);
    }
    return valid.sort((a, b) => b - a);
  }

  /** The time goes back to `target`: whatever is ahead of it by more than `maxLeadMs` (scopes, markets) came with the leap, and goes. */
  #leapBack(target: number): void {
    this.#timeMs = target;
    this.#newestMs = target;
    this.#nextSweepMs = Number.NaN;
    const limit = target + this.options.maxLeadMs;
    for (const state of this.#scopes.values()) {
      if (state.time <= limit) continue;
      this.#drop(state, target, 'idle');
    }
    // The markets' bookkeeping is rebuilt around the new time.
    const kept: MarketState[] = [];
    for (const state of this.#markets.values()) {
      if (state.lastTs > limit) {
        this.#forget(state);
        continue;
      }
      this.#deactivate(state);
      if (state.ahead) {
        state.ahead = false;
        this.#aheadCount -= 1;
      }
      if (state.lastTs >= target - this.options.maxLeadMs / 2) kept.push(state);
    }
    this.#heapTs = [];
    this.#heapMarkets = [];
    kept.sort((a, b) => a.lastTs - b.lastTs);
    for (const state of kept) {
      this.#touch(state);
      if (state.lastTs > target) this.#markAhead(state);
    }
    this.#moveTo(target);
  }

  // ----- scopes -----

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

  #addMarket(market: string, ts: number, lnPrice: number): MarketState {
    if (this.#markets.size >= this.options.maxMarkets) {
      const oldest = this.#markets.values().next();
      if (!oldest.done) this.#forget(oldest.value);
    }
    const state = new MarketState(market, ts, lnPrice);
    this.#markets.set(market, state);
    return state;
  }

  #forget(state: MarketState): void {
    this.#markets.delete(state.name);
    this.#deactivate(state);
    if (state.ahead) {
      state.ahead = false;
      this.#aheadCount -= 1;
    }
    state.gone = true;
  }

  #scopeOrCreate(name: string, ts: number): ScopeState {
    let state = this.#scopes.get(name);
    if (state === undefined) {
      state = new ScopeState(name, this.options, ts, this.#timeMs);
      this.#scopes.set(name, state);
    }
    return state;
  }

  /** One tick into one scope: the variance (when there is a return), then the status. */
  #feed(state: ScopeState, ts: number, squaredReturn: number, market: string): void {
    if (ts > state.time) state.time = ts; // a late tick of another market counts at the scope's time
    const t = state.time;
    state.ticks += 1;
    const o = this.options;
    if (squaredReturn >= 0) state.volatility.add(t, squaredReturn, this.#learnsBaseline(state));
    const index = state.volatility.index;
    state.index = index;
    if (state.markets !== null) {
      state.markets.add(market);
      if (state.markets.size >= o.minMarkets) state.markets = null;
    }
    if (!state.warm && state.markets === null && state.volatility.returns >= o.warmupReturns && this.#timeMs - state.bornMs >= o.warmupMs) state.warm = true;
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

  /**
   * Moves the engine's time forward to `ts` and, once per second of it, drops scopes
   * idle for `scopeIdleMs` and markets no longer active. Returns whether a market left
   * the active ones (the quorum may then be smaller).
   */
  #moveTo(ts: number): boolean {
    this.#timeMs = ts;
    if (!(ts <= this.#newestMs)) this.#newestMs = ts;
    if (ts < this.#nextSweepMs) return false;
    this.#nextSweepMs = ts + SWEEP_EVERY_MS;
    const idleBefore = ts - this.options.scopeIdleMs;
    for (const state of this.#scopes.values()) {
      if (state.time >= idleBefore) continue;
      this.#drop(state, state.time + this.options.scopeIdleMs, 'idle');
    }
    return this.#trimActive();
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
