import type { StoreOutcome } from '../breaker/breaker-hooks.js';
import type { PanicClock, PanicInspection } from '../clock/panic-clock.js';
import { withTimeout } from '../clock/with-timeout.js';
import { StoreBusyError, StoreTimeoutError } from '../errors.js';
import type { ServiceMetrics } from './service-metrics.js';

/** The last answer of the store to a health check. */
export interface StoreHealthReport {
  /** `memory` or `redis`. */
  kind: string;
  up: boolean;
  /** Round trip of the check in ms; null when it failed. */
  latencyMs: number | null;
  /** Why the store is considered down (`store_timeout`, `store_busy`, `store_error: …`), or null. */
  error: string | null;
  checkedAtMs: number;
}

/** Options of {@link StoreHealth}. */
export interface StoreHealthOptions {
  /** Longest wait for a check. Default 250 ms. */
  timeoutMs?: number;
  metrics?: ServiceMetrics;
}

/**
 * Checks the panic clock's store with a short timeout, for `/readyz`, the dashboard
 * and `vix_ttl_store_up`. A check is what decisions do: the clock's read-only
 * script on the global scope's key (`EVALSHA`/`EVAL` on Redis), not a mere PING,
 * so a Redis that answers PING but refuses scripts is not ready. Concurrent checks
 * share one, a recent answer is reused, and `start()` keeps a check running every
 * few seconds, so metrics read the last answer instead of asking the store.
 */
export class StoreHealth {
  /** Called with the global scope's panic each time a check reads it. */
  onInspection: ((inspection: PanicInspection) => void) | null = null;
  readonly #clock: PanicClock;
  readonly #timeoutMs: number;
  readonly #metrics: ServiceMetrics | undefined;
  #last: StoreHealthReport | null = null;
  #running: Promise<StoreHealthReport> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(clock: PanicClock, options: StoreHealthOptions = {}) {
    this.#clock = clock;
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#metrics = options.metrics;
  }

  /** Checks the store, reusing an answer younger than `maxAgeMs` (0: always check, but share a check under way). */
  check(maxAgeMs = 0): Promise<StoreHealthReport> {
    if (this.#last && maxAgeMs > 0 && Date.now() - this.#last.checkedAtMs < maxAgeMs) return Promise.resolve(this.#last);
    this.#running ??= this.#check().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** The last answer, without asking the store; null before the first check. */
  latest(): StoreHealthReport | null {
    return this.#last;
  }

  /** Checks every `intervalMs` (an unreferenced timer) until {@link stop}; `/readyz` and the first state build check by themselves. */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.check(0), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #check(): Promise<StoreHealthReport> {
    const started = performance.now();
    let outcome: StoreOutcome = 'ok';
    let error: string | null = null;
    let inspection: PanicInspection | null = null;
    try {
      inspection = await withTimeout(this.#clock.inspect(), this.#timeoutMs);
    } catch (failure) {
      [outcome, error] = describeFailure(failure);
    }
    const latencyMs = performance.now() - started;
    this.#metrics?.storeCall('ping', latencyMs, outcome);
    this.#metrics?.storeUp(outcome === 'ok');
    const report = { kind: this.#clock.kind, up: outcome === 'ok', latencyMs: outcome === 'ok' ? round(latencyMs) : null, error, checkedAtMs: Date.now() };
    this.#last = report;
    if (inspection) {
      try {
        this.onInspection?.(inspection);
      } catch {
        // What a listener does with the reading must not change the store's health.
      }
    }
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
