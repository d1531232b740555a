import { InvalidInputError } from '../core/errors.js';

/**
 * How long a store keeps an entry, in whole ms: max(tier TTL, stale window),
 * because an entry must outlive its freshness only to stand in for a failed load.
 * Returns 0 when there is nothing worth keeping (both are 0): the caller then skips
 * the write, and no store ever receives 0, which BentoCache, keyv, cacheable and
 * cache-manager read as "forever". `floorMs` keeps such an entry a little while
 * when something still needs it (cross-process coalescing: the waiters of one load).
 * @throws InvalidInputError when an input is negative or not finite.
 */
export function physicalExpiryMs(ttlSeconds: number, staleWindowSeconds: number, floorMs = 0): number {
  for (const [field, value] of [['ttlSeconds', ttlSeconds], ['staleWindowSeconds', staleWindowSeconds], ['floorMs', floorMs]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidInputError(field, 'must be a finite number ≥ 0', value);
  }
  const keepMs = Math.ceil(Math.max(ttlSeconds, staleWindowSeconds) * 1000);
  return keepMs > 0 ? keepMs : Math.ceil(floorMs);
}
