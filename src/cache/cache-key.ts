import { InvalidInputError } from '../core/errors.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A lone UTF-16 surrogate: Redis stores keys as UTF-8, where every lone surrogate becomes U+FFFD, so two such keys would share one entry. */
export const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Validates a caller's cache key: a non-empty string of at most `maxLength`
 * characters without control characters (they would corrupt logs and metrics)
 * and without lone surrogates (they would collide once encoded as UTF-8).
 * @throws InvalidInputError naming `key`.
 */
export function validateCacheKey(key: unknown, maxLength: number): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > maxLength || CONTROL.test(key) || LONE_SURROGATE.test(key)) {
    throw new InvalidInputError('key', `must be a non-empty string of at most ${maxLength} characters without control characters or lone surrogates`, key);
  }
  return key;
}
