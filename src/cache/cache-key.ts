import { InvalidInputError } from '../core/errors.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Validates a caller's cache key: a non-empty string of at most `maxLength`
 * characters without control characters (they would corrupt logs and metrics).
 * @throws InvalidInputError naming `key`.
 */
export function validateCacheKey(key: unknown, maxLength: number): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > maxLength || CONTROL.test(key)) {
    throw new InvalidInputError('key', `must be a non-empty string of at most ${maxLength} characters without control characters`, key);
  }
  return key;
}
