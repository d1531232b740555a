import type { Importance } from './importance.js';
import type { PanicMode, Tier } from './panic-mode.js';

/**
 * What a caller knows about a match. An explicit `importance` wins over the match
 * type, which wins over the league.
 */
export interface MatchContext {
  league?: string | undefined;
  matchType?: string | undefined;
  importance?: Importance | undefined;
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
  /** One of the {@link PanicMode} constants: `NORMAL` at tier 0, then `PANIC_FULL`, `PANIC_PARTIAL`, `DEGRADED`, `NEW_NORMAL` for tiers 1–4. */
  mode: PanicMode;
  tier: Tier;
  /** How much the match matters, which set the tier table. */
  importance: Importance;
  /** Minutes of continuous panic, or null when there is no panic (or it could not be read). */
  panicDurationMin: number | null;
  /** Minutes until the next tier, or null at tier 4 and without a panic. */
  nextTierInMin: number | null;
  /** True when the decision is TTL 0 because the panic start could not be had reliably. */
  failSafe: boolean;
  /** Why the decision is fail-safe; present only when `failSafe` is true. */
  reason?: FailSafeReason | undefined;
  /**
   * Present only in shadow mode (`shadow: true` on the breaker, the cache or the
   * service): the decision that *would* have applied. The fields above are then the
   * caller's own base TTL (mode `NORMAL`, tier 0, as without vix-ttl), so shadow never
   * changes what a caller does; this one says what vix-ttl would have done instead.
   */
  shadow?: ShadowDecision | undefined;
}

/**
 * The decision a shadow run would have applied: a whole {@link TtlDecision} (tier,
 * mode, TTL, fail-safe and its reason…) without a `shadow` of its own.
 */
export type ShadowDecision = Omit<TtlDecision, 'shadow'>;
