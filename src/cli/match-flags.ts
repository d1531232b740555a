import { IMPORTANCES, type Importance } from '../policy/importance.js';
import type { MatchContext } from '../policy/ttl-decision.js';
import { choiceFlag } from './parse-flags.js';

/** The flags every command that classifies a match takes. */
export const MATCH_FLAGS = {
  league: { type: 'string' },
  'match-type': { type: 'string' },
  importance: { type: 'string' },
} as const;

/** Builds a MatchContext from --league, --match-type and --importance; undefined when none is given. */
export function matchFromFlags(values: { league?: string; 'match-type'?: string; importance?: string }): MatchContext | undefined {
  const importance = choiceFlag<Importance>('importance', values.importance, IMPORTANCES);
  if (values.league === undefined && values['match-type'] === undefined && importance === undefined) return undefined;
  return { league: values.league, matchType: values['match-type'], importance };
}
