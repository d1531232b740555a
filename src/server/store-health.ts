import type { StoreOutcome } from '../breaker/breaker-hooks.js';
import type { PanicClock } from '../clock/panic-clock.js';
import { withTimeout } from '../clock/with-timeout.js';
import { StoreBusyError, StoreTimeoutError } from '../errors.js';
import type { ServiceMetrics } from './service-metrics.js';

/** The last answer of the store to a health check. */
export interface StoreHealthReport {
  /** `memory` or `redis`. */
  kind: string;
  up: boolean;
  /** Round trip of the ping in ms; null when it failed. */
  latencyMs: number | null;
  /** Why the store is considered down (`store_timeout`, `store_busy`, `store_error: …`), or null. */
  error: string | null;
  checkedAtMs: number;
}

/** Options of {@link StoreHealth}. */
export interface StoreHealthOptions {
  /** Longest wait for a ping. Default 250 ms. */
  timeoutMs?: number;
  metrics?: ServiceMetrics;
}

/**
 * Pings the panic clock's store with a short timeout, for `/readyz`, the dashboard
 * and `vix_ttl_store_up`. Concurrent checks share one ping, and a recent answer is
 * reused, so a flood of probes never becomes a flood of pings.
 */
export class StoreHealth {
  readonly #clock: PanicClock;
  readonly #timeoutMs: number;
  readonly #metrics: ServiceMetrics | undefined;
  #last: StoreHealthReport | null = null;
  #running: Promise<StoreHealthReport> | null = null;

  constructor(clock: PanicClock, options: StoreHealthOptions = {}) {
    this.#clock = clock;
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#metrics = options.metrics;
  }

  /** Checks the store, reusing an answer younger than `maxAgeMs` (0: always ping, but share a ping under way). */
  check(maxAgeMs = 0): Promise<StoreHealthReport> {
    if (this.#last && maxAgeMs > 0 && Date.now() - this.#last.checkedAtMs < maxAgeMs) return Promise.resolve(this.#last);
    this.#running ??= this.#ping().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #ping(): Promise<StoreHealthReport> {
    const started = performance.now();
    let outcome: StoreOutcome = 'ok';
    let error: string | null = null;
    try {
      await withTimeout(this.#clock.ping(), this.#timeoutMs);
    } catch (failure) {
      [outcome, error] = describeFailure(failure);
    }
    const latencyMs = performance.now() - started;
    this.#metrics?.storeCall('ping', latencyMs, outcome);
    this.#metrics?.storeUp(outcome === 'ok');
    const report = { kind: this.#clock.kind, up: outcome === 'ok', latencyMs: outcome === 'ok' ? round(latencyMs) : null, error, checkedAtMs: Date.now() };
    this.#last = report;
    return report;
  }
}

function describeFailure(failure: unknown): [StoreOutcome, string] {
  if (failure instanceof StoreTimeoutError) return ['timeout', 'store_timeout'];
  if (failure instanceof StoreBusyError) return ['busy', 'store_busy'];
  return ['error', `store_error: ${(failure as Error)?.message ?? String(failure)}`];
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
