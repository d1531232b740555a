import type { StoreOutcome } from '../../breaker/breaker-hooks.js';
import type { EvictionPolicy, PanicClock, PanicInspection } from '../../clock/panic-clock.js';
import { EventEmitter, type Event } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import { messageOf } from '../../core/errors.js';
import { storeFailureOf, storeFailureReason } from '../../core/store-failure.js';
import { withTimeout } from '../../core/with-timeout.js';
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
  /**
   * Whether the store may evict panic starts (Redis `maxmemory-policy`), as last
   * checked (at start, then at most once a minute; `checkedAtMs` null and the
   * policy unknown until the first answer); null for a store that never evicts
   * (memory). Not part of readiness.
   */
  eviction: (EvictionPolicy & { checkedAtMs: number | null }) | null;
}

/** Options of {@link StoreHealth}. */
export interface StoreHealthOptions {
  /** Longest wait for a check. Default 250 ms. */
  timeoutMs?: number;
  metrics?: ServiceMetrics;
  /** Where the eviction policy is reported (WARN when it can evict panic starts). Default: silent. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** The eviction policy is checked again after this long (ms); it changes only by `CONFIG SET`. */
const EVICTION_RECHECK_MS = 60_000;

/**
 * Checks the panic clock's store with a short timeout, for `/readyz`, the dashboard
 * and `vix_ttl_store_up`. A check is what decisions do: the clock's script on the
 * global scope's key (`EVALSHA`/`EVAL` on Redis) with its write check, not a mere
 * PING, so a Redis that answers PING but refuses scripts, or refuses writes (a
 * read-only replica), is not ready. The check changes nothing. Concurrent checks
 * share one, a recent answer is reused, and `start()` keeps a check running every
 * few seconds, so metrics read the last answer instead of asking the store.
 */
export class StoreHealth {
  readonly #inspections = new EventEmitter<PanicInspection>();
  /** Subscribes to the global scope's panic, as each check reads it; what a listener does with it never changes the store's health. */
  readonly onInspection: Event<PanicInspection> = this.#inspections.event;
  readonly #clock: PanicClock;
  readonly #timeoutMs: number;
  readonly #metrics: ServiceMetrics | undefined;
  readonly #logger: Pick<Logger, 'info' | 'warn'> | undefined;
  #eviction: StoreHealthReport['eviction'] = null;
  #evictionCheck: Promise<void> | null = null;
  #last: StoreHealthReport | null = null;
  #running: Promise<StoreHealthReport> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(clock: PanicClock, options: StoreHealthOptions = {}) {
    this.#clock = clock;
    this.#timeoutMs = options.timeoutMs ?? 250;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    if (clock.evictionPolicy) this.#eviction = { policy: null, canEvictPanicStarts: null, detail: 'not checked yet', checkedAtMs: null };
  }

  /** The eviction policy as last checked, without asking the store; null when unknown yet or not applicable. */
  eviction(): StoreHealthReport['eviction'] {
    return this.#eviction;
  }

  /**
   * Asks the store for its eviction policy (Redis: `CONFIG GET maxmemory-policy`)
   * and logs it when it changes: WARN `VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS` for
   * anything but `noeviction`, INFO `VIX_TTL_STORE_EVICTION_POLICY_UNKNOWN` when
   * the store will not say (unknown is not unsafe). A store that does not answer
   * leaves the last answer in place; concurrent calls share one command.
   */
  checkEviction(): Promise<void> {
    const ask = this.#clock.evictionPolicy?.bind(this.#clock);
    if (!ask) return Promise.resolve();
    this.#evictionCheck ??= withTimeout(ask(), this.#timeoutMs)
      .then(
        (policy) => this.#recordEviction(policy),
        () => undefined,
      )
      .finally(() => {
        this.#evictionCheck = null;
      });
    return this.#evictionCheck;
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

  /**
   * Checks the eviction policy now, then the store every `intervalMs` (an
   * unreferenced timer) until {@link stop}; `/readyz` and the first state build
   * check by themselves.
   */
  start(intervalMs: number): void {
    if (this.#timer) return;
    void this.checkEviction();
    this.#timer = setInterval(() => void this.check(0), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #recordEviction(policy: EvictionPolicy): void {
    const changed = !sameEviction(this.#eviction, policy);
    this.#eviction = { ...policy, checkedAtMs: Date.now() };
    if (!changed) return;
    if (policy.canEvictPanicStarts === true) {
      this.#logger?.warn(
        { policy: policy.policy, advice: 'set maxmemory-policy noeviction on the Redis that holds the panic clock (a volatile-* policy evicts panic starts too: they have an expiry)' },
        'VIX_TTL_STORE_CAN_EVICT_PANIC_STARTS: under memory pressure Redis may evict a live panic start, silently restarting that scope at tier 1',
      );
    } else if (policy.canEvictPanicStarts === null) {
      this.#logger?.info({ detail: policy.detail }, "VIX_TTL_STORE_EVICTION_POLICY_UNKNOWN: Redis will not tell its maxmemory-policy; that is not unsafe, only unknown — check the provider's setting is noeviction");
    } else {
      this.#logger?.info({ policy: policy.policy }, 'VIX_TTL_STORE_EVICTION_POLICY');
    }
  }

  async #check(): Promise<StoreHealthReport> {
    const started = performance.now();
    let outcome: StoreOutcome = 'ok';
    let error: string | null = null;
    let inspection: PanicInspection | null = null;
    try {
      inspection = await withTimeout(this.#clock.inspect(undefined, { writable: true }), this.#timeoutMs);
    } catch (failure) {
      [outcome, error] = describeFailure(failure);
    }
    const latencyMs = performance.now() - started;
    if (outcome === 'ok' && this.#eviction !== null && (this.#eviction.checkedAtMs === null || Date.now() - this.#eviction.checkedAtMs >= EVICTION_RECHECK_MS)) await this.checkEviction();
    this.#metrics?.storeCall('ping', latencyMs, outcome);
    this.#metrics?.storeUp(outcome === 'ok');
    const report = { kind: this.#clock.kind, up: outcome === 'ok', latencyMs: outcome === 'ok' ? round(latencyMs) : null, error, checkedAtMs: Date.now(), eviction: this.#eviction };
    this.#last = report;
    if (inspection) this.#inspections.emit(inspection);
    return report;
  }
}

function sameEviction(a: StoreHealthReport['eviction'], b: EvictionPolicy): boolean {
  return a !== null && a.checkedAtMs !== null && a.policy === b.policy && a.detail === b.detail;
}

/** The failure's outcome, and its reason word (with the message for an error: a timeout or busy says all). */
function describeFailure(failure: unknown): [StoreOutcome, string] {
  const outcome = storeFailureOf(failure);
  const reason = storeFailureReason(outcome);
  return [outcome, outcome === 'error' ? `${reason}: ${messageOf(failure)}` : reason];
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
