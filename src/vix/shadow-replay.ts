import { ShadowLedger, type ShadowTotal } from '../breaker/shadow-ledger.js';
import { VixCircuitBreaker } from '../breaker/vix-circuit-breaker.js';
import { MemoryPanicClock } from '../clock/memory-panic-clock.js';
import { GLOBAL_SCOPE } from '../clock/scope.js';
import type { Disposable } from '../core/event.js';
import type { AdaptivePanicQuota } from '../policy/adaptive-panic-quota.js';
import { IMPORTANCES, type Importance } from '../policy/importance.js';
import type { VixStatus } from '../policy/vix-status.js';
import type { VixEngine } from './vix-engine.js';

/** Options of {@link ShadowReplay}. */
export interface ShadowReplayOptions {
  /** The engine whose statuses drive the decisions (a `VixReplay`'s `engine`). */
  engine: VixEngine;
  /** The base TTL the callers serve today, seconds. Default 60. */
  baseTtl?: number | undefined;
  /** One decision per active scope and importance every this much tick time, ms. Default 1,000. */
  everyMs?: number | undefined;
  /** The policy of the decisions. Default: the seed's. */
  policy?: AdaptivePanicQuota | undefined;
}

/** What shadow mode would have reported for one importance. */
export interface ShadowImportanceSummary {
  /** Minutes during which vix-ttl would have served fresher data than the base TTL (a shorter TTL), all tiers. */
  fresherMin: number;
  /** Of those, the minutes at TTL 0 (always fresh: tier 1 and fail-safe). */
  freshMin: number;
  /** Fresher minutes per tier that would have applied, tiers 0–4. */
  fresherMinByTier: [number, number, number, number, number];
  /** Minutes at the same TTL as served (calm, or a tier whose TTL reaches the base TTL). */
  sameMin: number;
  decisions: number;
  fresherDecisions: number;
  /** Mean |served TTL − shadow TTL| over the fresher decisions, seconds (0 without any). */
  meanGapSeconds: number;
}

/** What a shadow replay found. */
export interface ShadowReplayResult {
  baseTtl: number;
  everyMs: number;
  /** Decisions taken (scopes × importances × samples). */
  decisions: number;
  /** The ledger's totals, as the `vix_ttl_shadow_*` metrics of a service would show them. */
  totals: ShadowTotal[];
  byImportance: Record<Importance, ShadowImportanceSummary>;
}

/** Most scopes followed at once; the least recently active is dropped first. */
const MAX_SCOPES = 10_000;

/**
 * Replays what a service in shadow mode would have reported for a tick stream: a
 * caller serving `baseTtl` asks a {@link VixCircuitBreaker} in shadow mode, on a
 * {@link MemoryPanicClock} running on tick time, once per `everyMs` for each scope that
 * had ticks since the last round (the global scope only when no tick names a scope)
 * and each importance, with the status the engine gives
 * the scope (seed mode); a {@link ShadowLedger} adds the answers up exactly as the
 * service's `vix_ttl_shadow_*` metrics do. Call {@link sample} after each ingested
 * record.
 */
export class ShadowReplay {
  readonly #engine: VixEngine;
  readonly #baseTtl: number;
  readonly #everyMs: number;
  readonly #breaker: VixCircuitBreaker;
  readonly #ledger: ShadowLedger;
  readonly #subscriptions: Disposable[];
  /** Scope → its status and newest tick time. */
  readonly #scopes = new Map<string, { status: VixStatus; ts: number }>();
  #nowMs = 0;
  #timeMs = Number.NEGATIVE_INFINITY;
  #nextDueMs = Number.NEGATIVE_INFINITY;
  #lastRoundMs = Number.NEGATIVE_INFINITY;
  #decisions = 0;

  constructor(options: ShadowReplayOptions) {
    this.#engine = options.engine;
    this.#baseTtl = options.baseTtl ?? 60;
    this.#everyMs = Math.max(1, options.everyMs ?? 1000);
    const now = () => this.#nowMs;
    this.#ledger = new ShadowLedger({ now });
    this.#breaker = new VixCircuitBreaker({
      clock: new MemoryPanicClock({ now }),
      policy: options.policy,
      syncIntervalMs: 0,
      now,
      shadow: true,
      maxScopes: MAX_SCOPES,
      maxPanicScopes: MAX_SCOPES,
      hooks: { onDecision: ({ scope, served }) => served && this.#ledger.record(scope, served) },
    });
    this.#subscriptions = [
      this.#engine.onIndex(({ scope, ts, status }) => this.#seen(scope, ts, status)),
      this.#engine.onTransition(({ scope, ts, to }) => this.#seen(scope, ts, to)),
    ];
  }

  /** Takes the round of decisions that is due at the engine's time, if one is; resolves at once otherwise. */
  async sample(): Promise<void> {
    if (this.#timeMs < this.#nextDueMs) return;
    const roundMs = this.#timeMs;
    this.#nowMs = roundMs;
    this.#nextDueMs = (Math.floor(roundMs / this.#everyMs) + 1) * this.#everyMs;
    const since = this.#lastRoundMs;
    this.#lastRoundMs = roundMs;
    // The engine's global scope follows every tick: callers read it only when the ticks name no scope.
    const named = this.#scopes.size > (this.#scopes.has(GLOBAL_SCOPE) ? 1 : 0);
    for (const [scope, { status, ts }] of this.#scopes) {
      if (ts <= since) continue; // no tick since the last round: nobody was reading this scope's odds
      if (named && scope === GLOBAL_SCOPE) continue;
      for (const importance of IMPORTANCES) {
        await this.#breaker.getTtl({ baseTtl: this.#baseTtl, vixStatus: status, match: { importance }, scope });
        this.#decisions += 1;
      }
    }
  }

  /** What shadow mode would have reported so far (time credited up to the newest tick). */
  result(): ShadowReplayResult {
    this.#nowMs = Math.max(this.#nowMs, this.#timeMs);
    const totals = this.#ledger.totals();
    const byImportance = Object.fromEntries(IMPORTANCES.map((importance) => [importance, summary(totals.filter((t) => t.importance === importance), this.#baseTtl)])) as Record<Importance, ShadowImportanceSummary>;
    return { baseTtl: this.#baseTtl, everyMs: this.#everyMs, decisions: this.#decisions, totals, byImportance };
  }

  /** Stops following the engine. */
  async close(): Promise<void> {
    for (const subscription of this.#subscriptions) subscription.dispose();
    await this.#breaker.close();
  }

  #seen(scope: string, ts: number, status: VixStatus): void {
    if (ts > this.#timeMs) this.#timeMs = ts;
    this.#scopes.delete(scope);
    this.#scopes.set(scope, { status, ts });
    if (this.#scopes.size > MAX_SCOPES) this.#scopes.delete(this.#scopes.keys().next().value!);
  }
}

function summary(totals: readonly ShadowTotal[], baseTtl: number): ShadowImportanceSummary {
  const byTier: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  let sameSeconds = 0;
  let freshSeconds = 0;
  let decisions = 0;
  let fresherDecisions = 0;
  let gapSeconds = 0;
  for (const total of totals) {
    decisions += total.decisions;
    if (total.outcome === 'same') sameSeconds += total.servedSeconds;
    if (total.outcome !== 'fresher') continue;
    byTier[total.tier] += total.servedSeconds / 60;
    fresherDecisions += total.decisions;
    gapSeconds += total.ttlDifferenceSeconds;
    // A fresher decision at the full gap is TTL 0: tier 1 and fail-safe decisions alike.
    if (total.ttlDifferenceSeconds === total.decisions * baseTtl) freshSeconds += total.servedSeconds;
  }
  return {
    fresherMin: byTier.reduce((a, b) => a + b, 0),
    freshMin: freshSeconds / 60,
    fresherMinByTier: byTier,
    sameMin: sameSeconds / 60,
    decisions,
    fresherDecisions,
    meanGapSeconds: fresherDecisions === 0 ? 0 : gapSeconds / fresherDecisions,
  };
}
