import { LRUCache } from 'lru-cache';
import { InvalidInputError } from '../errors.js';
import { DEFAULT_IMPORTANCE, isImportance, type Importance } from './importance.js';
import { normalizeName } from './normalize-name.js';
import type { ResolvedPanicPolicy } from './policy-config.js';
import type { MatchContext } from './ttl-decision.js';

const MEMO_SIZE = 2048;

/**
 * Classifies match contexts against one resolved policy. Results are memoised in a
 * bounded LRU because name folding dominates the cost of a pure decision.
 */
export class MatchClassifier {
  readonly #policy: ResolvedPanicPolicy;
  readonly #memo = new LRUCache<string, Importance>({ max: MEMO_SIZE });

  constructor(policy: ResolvedPanicPolicy) {
    this.#policy = policy;
  }

  /** Explicit importance, then match type, then league; unknown or empty → medium_stakes. */
  classify(match?: MatchContext | null): Importance {
    if (match === undefined || match === null) return DEFAULT_IMPORTANCE;
    if (typeof match !== 'object' || Array.isArray(match)) {
      throw new InvalidInputError('match', 'must be an object with league, matchType or importance', match);
    }
    const { importance, league, matchType } = match;
    if (importance !== undefined && importance !== null) {
      if (!isImportance(importance)) {
        throw new InvalidInputError('match.importance', 'must be one of high_stakes, medium_stakes, low_stakes', importance);
      }
      return importance;
    }
    const type = optionalString('match.matchType', matchType);
    const name = optionalString('match.league', league);
    if (!type && !name) return DEFAULT_IMPORTANCE;
    const memoKey = `${type}\u0000${name}`;
    const known = this.#memo.get(memoKey);
    if (known !== undefined) return known;
    const found =
      (type ? this.#policy.matchTypes.get(normalizeName(type)) : undefined) ??
      (name ? this.#policy.leagues.get(normalizeName(name)) : undefined) ??
      DEFAULT_IMPORTANCE;
    this.#memo.set(memoKey, found);
    return found;
  }
}

function optionalString(field: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidInputError(field, 'must be a string', value);
  return value;
}
