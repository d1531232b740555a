import type { Importance } from './importance.js';
import type { Tier } from './panic-mode.js';

/**
 * What a caller knows about a match. An explicit `importance` wins over the match
 * type, which wins over the league.
 */
export interface MatchContext {
  league?: string;
  matchType?: string;
  importance?: Importance;
}

/**
 * Why a decision fell back to TTL 0 instead of using the shared panic start: no
 * clock configured; the store timed out, failed or was busy (a `StoreFailureReason`);
 * the stored start was corrupt and was repaired; or the process already holds
 * `maxPanicScopes` scopes in panic, so a new one is not written to the store
 * (`scope_limit`).
 */
export const FAIL_SAFE_REASONS = Object.freeze(['no_clock', 'store_timeout', 'store_error', 'store_busy', 'corrupt_value_repaired', 'scope_limit'] as const);

/** One of the {@link FAIL_SAFE_REASONS}. */
export type FailSafeReason = (typeof FAIL_SAFE_REASONS)[number];

/**
 * How long to cache, and why. Returned by the pure policy and by the breaker; the
 * same inputs always give the same decision.
 */
export interface TtlDecision {
  /** Seconds the data may be cached; 0 means always fetch fresh. */
  ttl: number;
  /** One of the {@link PanicMode} constants. */
  mode: string;
  tier: Tier;
  importance: string;
  /** Minutes of continuous panic, or null when there is no panic (or it could not be read). */
  panicDurationMin: number | null;
  /** Minutes until the next tier, or null at tier 4 and without a panic. */
  nextTierInMin: number | null;
  /** True when the decision is TTL 0 because the panic start could not be had reliably. */
  failSafe: boolean;
  reason?: FailSafeReason;
}
