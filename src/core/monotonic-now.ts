const ORIGIN_MS = performance.timeOrigin;

/**
 * Milliseconds on a monotonic clock, Date-like in magnitude
 * (`performance.timeOrigin + performance.now()`): it never steps backwards or
 * forwards when the wall clock is corrected (NTP, a VM resumed, an operator).
 * The default time source of whatever ages local state — what a breaker synced,
 * how long a round trip took — since a wall-clock step would make that state look
 * young forever or stale all at once. Never compare it with a wall-clock
 * timestamp: the two drift apart.
 */
export function monotonicNow(): number {
  return ORIGIN_MS + performance.now();
}
