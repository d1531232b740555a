/**
 * The volatility of one scope: a fast and a slow exponentially weighted variance
 * of implied-probability log returns, in continuous time. Each is a kernel-weighted
 * mean of squared returns, `Σ r²·w / Σ w` with `w = 2^(−age / halfLife)`, so ticks may
 * come at any pace (bursts at one instant included) and the value does not depend on
 * how many markets feed the scope. The index is their ratio.
 */
export class ScopeVolatility {
  #fastSum = 0;
  #fastWeight = 0;
  #fastTs = 0;
  #slowSum = 0;
  #slowWeight = 0;
  #slowTs = 0;
  /** Returns counted so far. */
  returns = 0;
  readonly #fastRate: number;
  readonly #slowRate: number;
  readonly #floor: number;
  readonly #cap: number;

  constructor(fastHalfLifeMs: number, slowHalfLifeMs: number, varianceFloor: number, spikeCap: number) {
    this.#fastRate = Math.LN2 / fastHalfLifeMs;
    this.#slowRate = Math.LN2 / slowHalfLifeMs;
    this.#floor = varianceFloor;
    this.#cap = spikeCap;
  }

  /**
   * Adds one squared log return observed at tick time `t`. It is capped at
   * `spikeCap` × the baseline; the baseline learns it only when `learnBaseline`.
   * A frozen baseline does not age either: the time it spends frozen is not
   * counted as decay when it learns again, or a long panic would leave a baseline
   * of the first few returns after it (and a spurious second panic).
   */
  add(t: number, squaredReturn: number, learnBaseline: boolean): void {
    let x = squaredReturn;
    if (this.#slowWeight > 0) {
      const limit = this.#cap * (this.#slowSum / this.#slowWeight + this.#floor);
      if (x > limit) x = limit;
    }
    const fastDt = t - this.#fastTs;
    if (fastDt > 0) {
      const decay = Math.exp(-fastDt * this.#fastRate);
      this.#fastSum *= decay;
      this.#fastWeight *= decay;
      this.#fastTs = t;
    }
    this.#fastSum += x;
    this.#fastWeight += 1;
    this.returns += 1;
    if (!learnBaseline) {
      if (t > this.#slowTs) this.#slowTs = t;
      return;
    }
    const slowDt = t - this.#slowTs;
    if (slowDt > 0) {
      const decay = Math.exp(-slowDt * this.#slowRate);
      this.#slowSum *= decay;
      this.#slowWeight *= decay;
      this.#slowTs = t;
    }
    this.#slowSum += x;
    this.#slowWeight += 1;
  }

  /** The slow (baseline) variance per return; 0 before any return. */
  get slowVariance(): number {
    return this.#slowWeight > 0 ? this.#slowSum / this.#slowWeight : 0;
  }

  /** The fast variance per return; the baseline while there is none. */
  get fastVariance(): number {
    return this.#fastWeight > 0 ? this.#fastSum / this.#fastWeight : this.slowVariance;
  }

  /** `(fast + floor) / (slow + floor)`: 1 is the usual volatility, 4 four times it. */
  get index(): number {
    return (this.fastVariance + this.#floor) / (this.slowVariance + this.#floor);
  }
}
