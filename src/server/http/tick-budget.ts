/**
 * Ticks per second a service takes on `POST /v1/ticks` by default (`--max-ticks-per-second`):
 * with `--workers N` each worker takes 1/N of it, so the service as a whole takes this many.
 */
export const DEFAULT_MAX_TICKS_PER_SECOND = 100_000;

/**
 * A token bucket of ticks per second for one process's `POST /v1/ticks`: a batch is
 * let in while the bucket is not empty and pays for its ticks once parsed (the bucket
 * may go into debt by one batch). Bounding the rate, not only the batches at once,
 * keeps ingestion to a share of the process's CPU, so a tick flood cannot crowd the
 * decisions out even on a machine with no core to spare.
 */
export class TickBudget {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  /**
   * @param ticksPerSecond refill rate
   * @param burst most ticks saved up (a quiet feed may then send this many at once)
   * @param now a monotonic time source in ms
   */
  constructor(ticksPerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = ticksPerSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Whether a batch may be let in now (at least one tick left). */
  available(): boolean {
    return this.#refill() >= 1;
  }

  /** Pays for `ticks` ticks taken. */
  charge(ticks: number): void {
    this.#tokens = this.#refill() - ticks;
  }

  /** Milliseconds until a batch may be let in again (0 now). */
  waitMs(): number {
    const tokens = this.#refill();
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#rate);
  }

  #refill(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
    return this.#tokens;
  }
}
