import { InvalidInputError } from '../core/errors.js';
import type { TtlDecision } from '../policy/ttl-decision.js';

/** Options of {@link cacheControl}. */
export interface CacheControlOptions {
  /**
   * Seconds a shared cache may keep serving the response while it revalidates, or
   * a function of the TTL. Default: the TTL itself (at most twice the TTL old); 0 omits it.
   */
  staleWhileRevalidate?: number | ((ttlSeconds: number) => number) | undefined;
  /** Seconds a cache may serve the response when the origin fails (`stale-if-error`). Default 0 (omitted). */
  staleIfError?: number | undefined;
  /** `public` (CDNs may cache) or `private` (browsers only). Default `public`. */
  visibility?: 'public' | 'private' | undefined;
}

/** The `Cache-Control` value meaning "do not reuse": what TTL 0 asks for. */
export const NO_REUSE = 'no-store';

/**
 * The `Cache-Control` header value for a decision. TTL 0 (tier 1, fail-safe)
 * gives `no-store`: `no-cache, max-age=0` would let every cache on the way store
 * the panicked odds and lets some serve them when the origin is slow or down,
 * while `no-store` is the one directive every cache honours as "never reuse".
 * HTTP counts whole seconds, so a TTL under 1 s is also `no-store`. Otherwise
 * `public, max-age=N, stale-while-revalidate=M` with N = the TTL rounded down.
 * @throws InvalidInputError when the decision's TTL or an option is negative or not finite.
 */
export function cacheControl(decision: Pick<TtlDecision, 'ttl'>, options: CacheControlOptions = {}): string {
  const ttl = decision?.ttl;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) throw new InvalidInputError('decision.ttl', 'must be a finite number ≥ 0', ttl);
  const maxAge = Math.floor(ttl);
  if (maxAge < 1) return NO_REUSE;
  const swrOption = options.staleWhileRevalidate ?? maxAge;
  const swr = wholeSeconds('staleWhileRevalidate', typeof swrOption === 'function' ? swrOption(maxAge) : swrOption);
  const sie = wholeSeconds('staleIfError', options.staleIfError ?? 0);
  const visibility = options.visibility ?? 'public';
  if (visibility !== 'public' && visibility !== 'private') throw new InvalidInputError('visibility', 'must be public or private', visibility);
  const parts = [visibility, `max-age=${maxAge}`];
  if (swr > 0) parts.push(`stale-while-revalidate=${swr}`);
  if (sie > 0) parts.push(`stale-if-error=${sie}`);
  return parts.join(', ');
}

function wholeSeconds(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidInputError(field, 'must be a finite number of seconds ≥ 0', value);
  return Math.floor(value);
}
