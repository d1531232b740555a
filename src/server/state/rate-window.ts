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
  // Plain arrays, not typed ones: a typed array this size gets its own off-heap buffer, and a
  // window is made for every scope the tracker takes in (a new one per request under a flood).
  readonly #stamps: number[];
  readonly #counts: number[];
  readonly #createdAtMs: number;

  constructor(seconds = 10, nowMs = Date.now()) {
    this.#seconds = seconds;
    this.#stamps = new Array<number>(seconds).fill(-1);
    this.#counts = new Array<number>(seconds * TIERS).fill(0);
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
