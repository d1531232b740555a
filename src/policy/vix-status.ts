/**
 * What a VIX says about a market, from the quietest to the most alarming. Every list
 * of statuses (validation, metrics, the engine's levels) is derived from this one.
 */
export const VIX_STATUSES = Object.freeze(['calm', 'elevated', 'panic'] as const);

/** A market's status: `calm`, `elevated` or `panic` (a panic bypasses the cache, TTL 0). */
export type VixStatus = (typeof VIX_STATUSES)[number];

/** A status's level, its index in {@link VIX_STATUSES}: 0 calm, 1 elevated, 2 panic. */
export const VIX_STATUS_LEVEL: Readonly<Record<VixStatus, number>> = Object.freeze(
  Object.fromEntries(VIX_STATUSES.map((status, level) => [status, level])) as Record<VixStatus, number>,
);

/** Whether a value is one of the {@link VIX_STATUSES}. */
export function isVixStatus(value: unknown): value is VixStatus {
  return typeof value === 'string' && (VIX_STATUSES as readonly string[]).includes(value);
}
