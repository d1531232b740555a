import type { Tier } from '../../policy/panic-mode.js';

const TIERS = 5;

/** Decisions per second, split by tier (index 0 = no panic … 4 = new normal). */
export type TierRates = [number, number, number, number, number];

/**
 * Counts events per tier in one-second buckets over a short sliding window, so the
 * dashboard can show decisions per second without keeping every event. Constant
 * memory: `seconds` buckets of five counters.
 */
export class RateWindow {
  readonly #seconds: number;
  readonly #stamps: Float64Array;
  readonly #counts: Float64Array;
  readonly #createdAtMs: number;

  constructor(seconds = 10, nowMs = Date.now()) {
    this.#seconds = seconds;
    this.#stamps = new Float64Array(seconds).fill(-1);
    this.#counts = new Float64Array(seconds * TIERS);
    this.#createdAtMs = nowMs;
  }

  /** Counts one event of `tier` at `nowMs`. */
  add(tier: Tier, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.#seconds;
    if (this.#stamps[slot] !== second) {
      this.#stamps[slot] = second;
      this.#counts.fill(0, slot * TIERS, slot * TIERS + TIERS);
    }
    this.#counts[slot * TIERS + tier]! += 1;
  }

  /** Events per second over the window ending at `nowMs`, per tier. */
  perSecond(nowMs: number): TierRates {
    const second = Math.floor(nowMs / 1000);
    const oldest = second - this.#seconds + 1;
    const rates: TierRates = [0, 0, 0, 0, 0];
    for (let slot = 0; slot < this.#seconds; slot += 1) {
      const stamp = this.#stamps[slot]!;
      if (stamp < oldest || stamp > second) continue;
      for (let tier = 0; tier < TIERS; tier += 1) rates[tier as Tier] += this.#counts[slot * TIERS + tier]!;
    }
    const spanMs = Math.min(nowMs - oldest * 1000, nowMs - this.#createdAtMs);
    const spanSeconds = Math.max(1, spanMs / 1000);
    return rates.map((count) => round2(count / spanSeconds)) as TierRates;
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
