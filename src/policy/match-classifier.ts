import { LRUCache } from 'lru-cache';
import { describeChoices, InvalidInputError } from '../core/errors.js';
import { DEFAULT_IMPORTANCE, IMPORTANCES, isImportance, type Importance } from './importance.js';
import { MAX_VARIANT_NAME_LENGTH, nameVariants } from './name-variants.js';
import { normalizeName } from './normalize-name.js';
import type { ResolvedPanicPolicy } from './policy-config.js';
import type { MatchContext } from './ttl-decision.js';

const MEMO_SIZE = 2048;
/** Longer names are classified again each time rather than kept: the memo stays small whatever callers send. */
const MAX_MEMO_KEY_LENGTH = 512;

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

  /**
   * Explicit importance, then match type, then league; unknown or empty → medium_stakes.
   * A name is found as written, without its edition (years, seasons) or without
   * ignored sponsor and organiser affixes (see {@link nameVariants}).
   */
  classify(match?: MatchContext | null): Importance {
    if (match === undefined || match === null) return DEFAULT_IMPORTANCE;
    if (typeof match !== 'object' || Array.isArray(match)) {
      throw new InvalidInputError('match', 'must be an object with league, matchType or importance', match);
    }
    const { importance, league, matchType } = match;
    if (importance !== undefined && importance !== null) {
      if (!isImportance(importance)) {
        throw new InvalidInputError('match.importance', `must be ${describeChoices(IMPORTANCES)}`, importance);
      }
      return importance;
    }
    const type = optionalString('match.matchType', matchType);
    const name = optionalString('match.league', league);
    if (!type && !name) return DEFAULT_IMPORTANCE;
    const memoKey = `${type}\u0000${name}`;
    const known = this.#memo.get(memoKey);
    if (known !== undefined) return known;
    const found = (type ? (this.#find(this.#policy.matchTypes, type) ?? this.#byWord(type)) : undefined) ?? (name ? this.#find(this.#policy.leagues, name) : undefined) ?? DEFAULT_IMPORTANCE;
    if (memoKey.length <= MAX_MEMO_KEY_LENGTH) this.#memo.set(memoKey, found);
    return found;
  }

  #find(index: ReadonlyMap<string, Importance>, name: string): Importance | undefined {
    for (const variant of nameVariants(name, this.#policy.ignoredAffixes)) {
      const found = index.get(variant);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** A match type not listed whole, by the words it contains ("North London Derby"): low stakes first, then high, then medium. */
  #byWord(type: string): Importance | undefined {
    const words = this.#policy.matchTypeWords;
    if (words.size === 0 || type.length > MAX_VARIANT_NAME_LENGTH) return undefined;
    let found: Importance | undefined;
    for (const word of normalizeName(type).split(' ')) {
      const importance = words.get(word);
      if (importance === undefined || WORD_PRECEDENCE[importance] <= WORD_PRECEDENCE[found ?? NONE]) continue;
      found = importance;
    }
    return found;
  }
}

const NONE = 'none';
/** Which word wins when a match type holds words of several importances: a friendly derby is a friendly. */
const WORD_PRECEDENCE: Readonly<Record<Importance | typeof NONE, number>> = { none: 0, medium_stakes: 1, high_stakes: 2, low_stakes: 3 };

function optionalString(field: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InvalidInputError(field, 'must be a string', value);
  return value;
}
