import { IMPORTANCES } from '../policy/importance.js';
import type { MatchContext } from '../policy/ttl-decision.js';
import type { FlagTable } from './flag-spec.js';

/** The flags of every command that classifies a match. */
export const MATCH_FLAGS = {
  league: { type: 'string', value: 'NAME', meaning: 'League of the match ("Ligue 1", "UCL"…), matched case-, accent- and punctuation-insensitively with common aliases.' },
  'match-type': { type: 'string', value: 'TYPE', meaning: 'Type of the match (final, derby, friendly…); overrides the league.' },
  importance: { type: 'choice', value: 'IMPORTANCE', choices: IMPORTANCES, meaning: 'Importance of the match; overrides the league and the match type.' },
} as const satisfies FlagTable;

/** Builds a MatchContext from --league, --match-type and --importance; undefined when none is given. */
export function matchFromFlags(values: { league?: string; 'match-type'?: string; importance?: MatchContext['importance'] }): MatchContext | undefined {
  if (values.league === undefined && values['match-type'] === undefined && values.importance === undefined) return undefined;
  return { league: values.league, matchType: values['match-type'], importance: values.importance };
}
