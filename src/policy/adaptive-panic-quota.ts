import { InvalidInputError } from '../core/errors.js';
import type { Importance } from './importance.js';
import { MatchClassifier } from './match-classifier.js';
import { modeOfTier, PanicMode, type PanicTier } from './panic-mode.js';
import { resolvePanicPolicy, type PanicPolicyOptions, type ResolvedPanicPolicy } from './policy-config.js';
import type { FailSafeReason, MatchContext, TtlDecision } from './ttl-decision.js';

/** One row of a tier timeline, as printed by `vix-ttl plan`. */
export interface TierPlanRow {
  tier: PanicTier;
  mode: PanicMode;
  fromMin: number;
  /** Minute at which the next tier starts, or null for tier 4. */
  untilMin: number | null;
  ttl: number;
}

/**
 * The pure functional core: panic duration and match context in, TTL decision out.
 * No I/O, no clock, no state beyond the immutable policy, so every worker that sees
 * the same duration decides the same thing.
 */
export class AdaptivePanicQuota {
  /** The validated policy, frozen. */
  readonly policy: ResolvedPanicPolicy;
  readonly #classifier: MatchClassifier;

  /** @throws InvalidConfigError when the policy options are invalid. */
  constructor(policy?: PanicPolicyOptions) {
    this.policy = resolvePanicPolicy(policy);
    this.#classifier = new MatchClassifier(this.policy);
  }

  /** The importance of a match under this policy's league and match-type lists. */
  classify(match?: MatchContext | null): Importance {
    return this.#classifier.classify(match);
  }

  /**
   * Decides the TTL for data cached with `baseTtl` seconds, given how many minutes
   * the panic has lasted (`null` when there is no panic).
   * @throws InvalidInputError when `baseTtl` or the duration is negative or not finite.
   */
  calculateTtlStrategy(baseTtl: number, panicDurationMinutes: number | null, match?: MatchContext | null): TtlDecision {
    assertBaseTtl(baseTtl);
    const importance = this.classify(match);
    if (panicDurationMinutes === null || panicDurationMinutes === undefined) {
      return { ttl: baseTtl, mode: PanicMode.NORMAL, tier: 0, importance, panicDurationMin: null, nextTierInMin: null, failSafe: false };
    }
    if (typeof panicDurationMinutes !== 'number' || !Number.isFinite(panicDurationMinutes) || panicDurationMinutes < 0) {
      throw new InvalidInputError('panicDurationMinutes', 'must be a finite number ≥ 0 or null', panicDurationMinutes);
    }
    const { thresholdsMin, ttlSeconds } = this.policy.tiers[importance];
    const tier = tierAt(thresholdsMin, panicDurationMinutes);
    return {
      ttl: Math.min(ttlSeconds[tier - 1]!, baseTtl),
      mode: modeOfTier(tier),
      tier,
      importance,
      panicDurationMin: panicDurationMinutes,
      nextTierInMin: tier === 4 ? null : thresholdsMin[tier - 1]! - panicDurationMinutes,
      failSafe: false,
    };
  }

  /**
   * The conservative decision used when a panic is on but its start cannot be had
   * reliably: TTL 0 whatever the base TTL, flagged with the reason.
   */
  failSafeDecision(baseTtl: number, match: MatchContext | null | undefined, reason: FailSafeReason): TtlDecision {
    assertBaseTtl(baseTtl);
    return {
      ttl: 0,
      mode: PanicMode.PANIC_FULL,
      tier: 1,
      importance: this.classify(match),
      panicDurationMin: null,
      nextTierInMin: null,
      failSafe: true,
      reason,
    };
  }

  /** The whole tier timeline for a match, each TTL capped by `baseTtl`. */
  plan(baseTtl: number, match?: MatchContext | null): TierPlanRow[] {
    assertBaseTtl(baseTtl);
    const { thresholdsMin, ttlSeconds } = this.policy.tiers[this.classify(match)];
    const starts = [0, ...thresholdsMin];
    return ttlSeconds.map((ttl, i) => {
      const tier = (i + 1) as PanicTier;
      return { tier, mode: modeOfTier(tier), fromMin: starts[i]!, untilMin: starts[i + 1] ?? null, ttl: Math.min(ttl, baseTtl) };
    });
  }
}

/** A duration exactly on a threshold belongs to the later tier. */
function tierAt(thresholdsMin: readonly number[], durationMin: number): PanicTier {
  let tier = 1;
  for (const threshold of thresholdsMin) if (durationMin >= threshold) tier += 1;
  return tier as PanicTier;
}

function assertBaseTtl(baseTtl: number): void {
  if (typeof baseTtl !== 'number' || !Number.isFinite(baseTtl) || baseTtl < 0) {
    throw new InvalidInputError('baseTtl', 'must be a finite number ≥ 0', baseTtl);
  }
}
