import type { TtlDecision } from '../policy/ttl-decision.js';

/** A decision as the `--json` outputs show it: every field always present (`reason` null unless fail-safe), in this order; the CLI decides live, never in shadow. */
export type DecisionJson = Required<Omit<TtlDecision, 'reason' | 'shadow'>> & { reason: string | null };

/** A decision in the one shape of the `--json` outputs, whatever fields a future decision gains. */
export function decisionJson(decision: TtlDecision): DecisionJson {
  const { ttl, mode, tier, importance, panicDurationMin, nextTierInMin, failSafe } = decision;
  return { ttl, mode, tier, importance, panicDurationMin, nextTierInMin, failSafe, reason: decision.reason ?? null };
}

