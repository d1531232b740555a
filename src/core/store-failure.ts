import { StoreBusyError, StoreTimeoutError } from './errors.js';

/** How a store call can fail, from the most to the least specific. */
export const STORE_FAILURES = Object.freeze(['timeout', 'busy', 'error'] as const);

/**
 * How a store call failed: `timeout` (no answer within the bound), `busy` (not sent:
 * earlier commands are still unanswered) or `error` (anything else the store or its
 * client threw).
 */
export type StoreFailure = (typeof STORE_FAILURES)[number];

/** A store failure as a reason word (`store_timeout`, `store_busy`, `store_error`): fail-safe decisions, health, knowledge. */
export type StoreFailureReason = `store_${StoreFailure}`;

const REASONS: Readonly<Record<StoreFailure, StoreFailureReason>> = Object.freeze({ timeout: 'store_timeout', busy: 'store_busy', error: 'store_error' });

/**
 * Classifies an error of a store call. The one classifier of store failures: the
 * breaker's fail-safe reasons, the cache's `store_error` events, the service's
 * health and its per-scope knowledge all use it, so one failure has one name
 * everywhere. It holds for errors of another copy of vix-ttl (branded errors).
 */
export function storeFailureOf(error: unknown): StoreFailure {
  if (error instanceof StoreTimeoutError) return 'timeout';
  if (error instanceof StoreBusyError) return 'busy';
  return 'error';
}

/** The reason word of a store failure (`timeout` → `store_timeout`). */
export function storeFailureReason(failure: StoreFailure): StoreFailureReason {
  return REASONS[failure];
}
