import { InvalidInputError } from '../core/errors.js';

/** The scope used when none is given; it maps to the seed's key without suffix. */
export const GLOBAL_SCOPE = 'global';

/** What a scope name may hold: 1–64 characters of `A-Z a-z 0-9 : _ . -` (the VIX engine checks tick scopes with it too). */
export const SCOPE_PATTERN = /^[A-Za-z0-9:_.-]{1,64}$/;

/**
 * Validates a scope name and returns its canonical form (undefined and `''` are
 * the global scope).
 * @throws InvalidInputError naming `field` (default `scope`) for names that are too long or hold other characters.
 */
export function normalizeScope(scope: unknown, field = 'scope'): string {
  if (scope === undefined || scope === null || scope === '') return GLOBAL_SCOPE;
  if (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope)) {
    throw new InvalidInputError(field, 'must be 1–64 characters of A-Z a-z 0-9 : _ . -', scope);
  }
  return scope;
}

/** Whether a value is an acceptable scope name. */
export function isValidScope(scope: unknown): boolean {
  return scope === undefined || (typeof scope === 'string' && (scope === '' || SCOPE_PATTERN.test(scope)));
}
