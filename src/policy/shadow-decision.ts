import { PanicMode } from './panic-mode.js';
import type { ShadowDecision, TtlDecision } from './ttl-decision.js';

/**
 * How the decision a shadow run would have applied compares with what was served:
 * `same` TTL, `fresher` (a shorter TTL: vix-ttl would have served fresher data) or
 * `staler` (a longer one; the policy never exceeds the base TTL, so only a custom
 * decision source can give it). Every list of outcomes is derived from this one.
 */
export const SHADOW_OUTCOMES = Object.freeze(['same', 'fresher', 'staler'] as const);

/** One of the {@link SHADOW_OUTCOMES}. */
export type ShadowOutcome = (typeof SHADOW_OUTCOMES)[number];

/**
 * What a caller gets in shadow mode: its own `baseTtl` as a plain no-panic decision
 * (mode `NORMAL`, tier 0 — what it does without vix-ttl), with `decision` as its
 * `shadow`. Whatever `decision` says (a panic, a fail-safe TTL 0, or a `shadow` of
 * its own from a source already in shadow), the served TTL is `baseTtl`: shadow
 * mode never changes behaviour. Pure.
 */
export function shadowDecision(baseTtl: number, decision: TtlDecision): TtlDecision {
  return {
    ttl: baseTtl,
    mode: PanicMode.NORMAL,
    tier: 0,
    importance: decision.importance,
    panicDurationMin: null,
    nextTierInMin: null,
    failSafe: false,
    shadow: decision.shadow ?? withoutShadow(decision),
  };
}

/** How `shadow` compares with `served` (see {@link SHADOW_OUTCOMES}). */
export function shadowOutcome(served: Pick<TtlDecision, 'ttl'>, shadow: Pick<TtlDecision, 'ttl'>): ShadowOutcome {
  if (shadow.ttl < served.ttl) return 'fresher';
  if (shadow.ttl > served.ttl) return 'staler';
  return 'same';
}

function withoutShadow(decision: TtlDecision): ShadowDecision {
  if (!('shadow' in decision)) return decision;
  const { shadow: _none, ...rest } = decision;
  return rest;
}
