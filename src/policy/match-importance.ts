import { MatchClassifier } from './match-classifier.js';
import type { Importance } from './importance.js';
import { resolvePanicPolicy } from './policy-config.js';
import type { MatchContext } from './ttl-decision.js';

const defaultClassifier = new MatchClassifier(resolvePanicPolicy());

/**
 * The three importances, and `classify` under the default league lists. Use
 * {@link AdaptivePanicQuota.classify} to classify under a custom policy.
 */
export const MatchImportance = {
  HIGH_STAKES: 'high_stakes',
  MEDIUM_STAKES: 'medium_stakes',
  LOW_STAKES: 'low_stakes',
  /**
   * Explicit importance, then match type, then league (aliases, any case, accents or
   * punctuation, with or without a year, a season, a sponsor or an organiser); unknown → medium_stakes.
   */
  classify(match?: MatchContext | null): Importance {
    return defaultClassifier.classify(match);
  },
} as const;

export type { Importance };
