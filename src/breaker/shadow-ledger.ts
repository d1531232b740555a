import type { Importance } from '../policy/importance.js';
import type { Tier } from '../policy/panic-mode.js';
import { monotonicNow } from '../core/monotonic-now.js';
import { shadowOutcome, type ShadowOutcome } from '../policy/shadow-decision.js';
import type { TtlDecision } from '../policy/ttl-decision.js';

/** Options of {@link ShadowLedger}. */
export interface ShadowLedgerOptions {
  /** Time source in ms: the breaker's (the demo's accelerated clock included). Default the breaker's default, a monotonic clock (a wall-clock step would credit too much or nothing). */
  now?: (() => number) | undefined;
  /** Most (scope, importance) pairs followed at once; the least recently decided is closed first. Default 30,000. */
  maxPairs?: number | undefined;
}

/** What the shadow decisions of one (importance, tier, outcome) added up to. */
export interface ShadowTotal {
  importance: Importance;
  /** The tier the shadow decision would have applied. */
  tier: Tier;
  outcome: ShadowOutcome;
  /** Shadow decisions taken (one per `getTtl`: request-weighted). */
  decisions: number;
  /** Sum over those decisions of |served TTL − shadow TTL|, seconds (divide by `decisions` for the mean gap). */
  ttlDifferenceSeconds: number;
  /**
   * Time-weighted: seconds during which callers were serving data under a decision of
   * this kind. Each decision covers from when it was taken until the next decision of
   * the same scope and importance, or until its served TTL ran out, whichever comes
   * first — so a burst of a thousand decisions in one second counts one second, and
   * a scope nobody asks about counts nothing. Summed over scopes.
   */
  servedSeconds: number;
}

/** A total as kept: time in ms (sums of whole ms stay exact), seconds only when reported. */
type Tally = Omit<ShadowTotal, 'servedSeconds'> & { servedMs: number };

interface Open {
  total: Tally;
  /** Credited up to here (ms). */
  fromMs: number;
  /** The served TTL runs out here (ms). */
  untilMs: number;
}

/**
 * Adds up what shadow mode would have changed: per importance, shadow tier and
 * outcome (same, fresher, staler), how many decisions, by how many seconds of TTL,
 * and for how long — "during yesterday's panics vix-ttl would have served fresh
 * data for 38 minutes where we served 60-second-old odds" is the `servedSeconds` of
 * outcome `fresher` at tier 1. Feed it what a breaker in shadow mode served
 * (`onDecision`'s `served`). Bounded: at most `maxPairs` (scope, importance) pairs.
 */
export class ShadowLedger {
  readonly #now: () => number;
  readonly #maxPairs: number;
  readonly #totals = new Map<string, Tally>();
  /** Per (scope, importance): the last decision's time still being credited, in least-recently-decided order. */
  readonly #open = new Map<string, Open>();

  constructor(options: ShadowLedgerOptions = {}) {
    this.#now = options.now ?? monotonicNow;
    this.#maxPairs = Math.max(1, Math.floor(options.maxPairs ?? 30_000));
  }

  /** Pairs whose last decision is still being credited. */
  get size(): number {
    return this.#open.size;
  }

  /** Records what a breaker in shadow mode served in `scope`; a decision without a `shadow` is ignored. */
  record(scope: string, served: TtlDecision): void {
    const shadow = served.shadow;
    if (shadow === undefined) return;
    const nowMs = this.#now();
    const total = this.#total(shadow.importance, shadow.tier, shadowOutcome(served, shadow));
    total.decisions += 1;
    total.ttlDifferenceSeconds += Math.abs(served.ttl - shadow.ttl);
    const key = `${scope}|${shadow.importance}`;
    const previous = this.#open.get(key);
    if (previous !== undefined) {
      credit(previous, nowMs);
      this.#open.delete(key);
    }
    this.#open.set(key, { total, fromMs: nowMs, untilMs: nowMs + served.ttl * 1000 });
    if (this.#open.size > this.#maxPairs) {
      const [oldestKey, oldest] = this.#open.entries().next().value as [string, Open];
      credit(oldest, nowMs);
      this.#open.delete(oldestKey);
    }
  }

  /** The totals so far (time credited up to now), in a stable order. */
  totals(): ShadowTotal[] {
    const nowMs = this.#now();
    for (const [key, open] of this.#open) {
      credit(open, nowMs);
      if (open.fromMs >= open.untilMs) this.#open.delete(key);
    }
    return [...this.#totals.values()].map(({ servedMs, ...total }) => ({ ...total, servedSeconds: servedMs / 1000 }));
  }

  #total(importance: Importance, tier: Tier, outcome: ShadowOutcome): Tally {
    const key = `${importance}|${tier}|${outcome}`;
    let total = this.#totals.get(key);
    if (total === undefined) {
      total = { importance, tier, outcome, decisions: 0, ttlDifferenceSeconds: 0, servedMs: 0 };
      this.#totals.set(key, total);
    }
    return total;
  }
}

/** Credits an open decision's time up to `nowMs`, never past its served TTL, never backwards. */
function credit(open: Open, nowMs: number): void {
  const end = Math.min(nowMs, open.untilMs);
  if (end <= open.fromMs) return;
  open.total.servedMs += end - open.fromMs;
  open.fromMs = end;
}
