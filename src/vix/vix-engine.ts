import type { VixStatus } from '../breaker/vix-circuit-breaker.js';
import { GLOBAL_SCOPE, SCOPE_PATTERN } from '../clock/scope.js';
import { InvalidInputError } from '../errors.js';
import { ScopeVolatility } from './scope-volatility.js';
import { StatusHysteresis, type PendingStatus } from './status-hysteresis.js';
import { ACCEPTED, REJECT_REASONS, REJECTED, REJECT_RULES, type BatchResult, type IngestResult, type RejectReason } from './tick.js';
import { tickTimeMs } from './tick-time.js';
import type { VixHooks, VixTransition } from './vix-hooks.js';
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
  /** Newest tick time seen (ms); null before the first tick. */
  timeMs: number | null;
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

  constructor(readonly name: string, options: ResolvedVixOptions, ts: number) {
    this.volatility = new ScopeVolatility(options.fastHalfLifeMs, options.slowHalfLifeMs, options.varianceFloor, options.spikeCap);
    this.status = new StatusHysteresis(options);
    this.firstTs = ts;
    this.time = ts;
  }
}

const SWEEP_EVERY_MS = 1000;

/**
 * Turns odds ticks into a volatility index and a `calm | elevated | panic` status
 * per scope. Pure and deterministic: time comes from the ticks only, so the same
 * tick stream always gives the same timeline. Bad ticks are counted and dropped,
 * never thrown. Every tick feeds `global` and, when it names one, its own scope.
 */
export class VixEngine {
  /** The validated options, frozen. */
  readonly options: ResolvedVixOptions;
  readonly #markets = new Map<string, MarketState>();
  readonly #scopes = new Map<string, ScopeState>();
  readonly #rejected: Record<RejectReason, number>;
  readonly #onTransition: Array<NonNullable<VixHooks['onTransition']>> = [];
  readonly #onIndex: Array<NonNullable<VixHooks['onIndex']>> = [];
  readonly #onReject: Array<NonNullable<VixHooks['onReject']>> = [];
  #accepted = 0;
  #transitions = 0;
  #timeMs = Number.NaN;
  #nextSweepMs = Number.NaN;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(options?: VixEngineOptions) {
    this.options = resolveVixOptions(options);
    this.#rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
    if (this.options.hooks) this.addHooks(this.options.hooks);
  }

  /**
   * Adds hooks (the service's metrics, a {@link VixPublisher}…); returns a function
   * that removes them again.
   */
  addHooks(hooks: VixHooks): () => void {
    if (typeof hooks !== 'object' || hooks === null) throw new InvalidInputError('hooks', 'must be an object of hook functions', hooks);
    const added: Array<[unknown[], unknown]> = [];
    const add = <F>(list: F[], fn: F | undefined) => {
      if (typeof fn !== 'function') return;
      const bound = (fn as unknown as (e: unknown) => void).bind(hooks) as F;
      list.push(bound);
      added.push([list, bound]);
    };
    add(this.#onTransition, hooks.onTransition);
    add(this.#onIndex, hooks.onIndex);
    add(this.#onReject, hooks.onReject);
    return () => {
      for (const [list, fn] of added) {
        const at = list.indexOf(fn);
        if (at >= 0) list.splice(at, 1);
      }
    };
  }

  /**
   * Takes one tick. Never throws: a bad tick is dropped, counted under its reason and
   * reported to `onReject`; the answer says which (see {@link REJECT_RULES}).
   */
  ingest(tick: unknown): IngestResult {
    let reason: RejectReason | null;
    try {
      reason = this.#apply(tick);
    } catch {
      reason = 'malformed'; // a tick whose getters throw
    }
    if (reason === null) {
      this.#accepted += 1;
      return ACCEPTED;
    }
    this.#rejected[reason] += 1;
    if (this.#onReject.length > 0) this.#emit(this.#onReject, { reason, rule: REJECT_RULES[reason], tick });
    return REJECTED[reason];
  }

  /**
   * Takes a batch of ticks in order (what `POST /v1/ticks` receives).
   * @throws InvalidInputError when `ticks` is not an array; single bad ticks never throw.
   */
  ingestBatch(ticks: readonly unknown[]): BatchResult {
    if (!Array.isArray(ticks)) throw new InvalidInputError('ticks', 'must be an array of ticks', ticks);
    const results: IngestResult[] = new Array<IngestResult>(ticks.length);
    const rejections: BatchResult['rejections'] = [];
    let accepted = 0;
    for (let i = 0; i < ticks.length; i += 1) {
      const result = this.ingest(ticks[i]);
      results[i] = result;
      if (result.accepted) accepted += 1;
      else rejections.push({ index: i, reason: result.reason, rule: result.rule });
    }
    return { accepted, rejected: ticks.length - accepted, results, rejections };
  }

  /**
   * Moves the engine's time forward without a tick (a feed that went silent), so idle
   * scopes expire. A time at or before the newest tick changes nothing. The service
   * may call it with the wall clock; replays never need it.
   * @throws InvalidInputError when `ts` is not a valid tick time.
   */
  advanceTo(ts: number): void {
    const ms = tickTimeMs(ts);
    if (Number.isNaN(ms)) throw new InvalidInputError('ts', 'must be ms since the epoch (a finite number ≥ 0)', ts);
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
      timeMs: Number.isNaN(this.#timeMs) ? null : this.#timeMs,
    };
  }

  /** Validates a tick and applies it; returns why it was not used, or null. */
  #apply(tick: unknown): RejectReason | null {
    if (typeof tick !== 'object' || tick === null || Array.isArray(tick)) return 'malformed';
    const { market, price, ts: rawTs, scope: rawScope } = tick as Record<string, unknown>;
    if (market === undefined || market === null || price === undefined || price === null || rawTs === undefined || rawTs === null) return 'missing_field';
    if (typeof market !== 'string' || market.length === 0 || market.length > 200) return 'bad_market';
    if (typeof price !== 'number' || !(price > 1) || price === Number.POSITIVE_INFINITY) return 'bad_price';
    const ts = tickTimeMs(rawTs);
    if (Number.isNaN(ts)) return 'bad_ts';
    let scopeName: string | null = null;
    if (rawScope !== undefined && rawScope !== null && rawScope !== '' && rawScope !== GLOBAL_SCOPE) {
      if (typeof rawScope !== 'string') return 'bad_scope';
      if (!this.#scopes.has(rawScope)) {
        if (!SCOPE_PATTERN.test(rawScope)) return 'bad_scope';
        if (this.#scopes.size - (this.#scopes.has(GLOBAL_SCOPE) ? 1 : 0) >= this.options.maxScopes) return 'too_many_scopes';
      }
      scopeName = rawScope;
    }
    const state = this.#markets.get(market);
    if (state !== undefined) {
      if (ts < state.lastTs) return 'out_of_order';
      if (ts === state.lastTs) return 'duplicate';
    }
    // Valid: from here on the tick changes state. Advancing first may drop idle scopes.
    if (ts > this.#timeMs || Number.isNaN(this.#timeMs)) this.#advance(ts);
    const lnPrice = Math.log(price);
    let squaredReturn = -1;
    if (state === undefined) this.#addMarket(market, ts, lnPrice);
    else {
      if (ts - state.lastTs <= this.options.maxGapMs) {
        const r = state.lnPrice - lnPrice; // ln(1/price) − ln(1/previous price)
        squaredReturn = r * r;
      }
      state.lastTs = ts;
      state.lnPrice = lnPrice;
    }
    this.#feed(this.#scopeOrCreate(GLOBAL_SCOPE, ts), ts, squaredReturn);
    if (scopeName !== null) this.#feed(this.#scopeOrCreate(scopeName, ts), ts, squaredReturn);
    return null;
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
    if (this.#onIndex.length > 0) this.#emit(this.#onIndex, { scope: state.name, ts: t, index, status: state.status.status, warm: state.warm });
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

  #transition(state: ScopeState, from: number, to: number, ts: number, cause: VixTransition['cause']): void {
    this.#transitions += 1;
    if (this.#onTransition.length === 0) return;
    const names: VixStatus[] = ['calm', 'elevated', 'panic'];
    this.#emit(this.#onTransition, { scope: state.name, from: names[from]!, to: names[to]!, ts, index: state.index, cause });
  }

  /** Moves engine time to `ts` and, once per second of it, drops scopes idle for `scopeIdleMs`. */
  #advance(ts: number): void {
    this.#timeMs = ts;
    if (ts < this.#nextSweepMs) return;
    this.#nextSweepMs = ts + SWEEP_EVERY_MS;
    const idleBefore = ts - this.options.scopeIdleMs;
    for (const state of this.#scopes.values()) {
      if (state.time >= idleBefore) continue;
      this.#scopes.delete(state.name);
      const at = state.time + this.options.scopeIdleMs;
      if (state.status.level !== 0) {
        const from = state.status.level;
        state.status.reset(0, at);
        this.#transition(state, from, 0, at, 'idle');
      }
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

  #emit<E>(listeners: Array<(event: E) => void>, event: E): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A broken hook must not break ingestion.
      }
    }
  }
}
