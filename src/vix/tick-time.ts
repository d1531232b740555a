/** Latest instant a JavaScript Date can hold, in ms; later tick times are rejected. */
export const MAX_TICK_TIME_MS = 8.64e15;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const EPOCH_MS = /^\d{1,16}(?:\.\d+)?$/;

/**
 * Turns a tick's `ts` into ms since the epoch: a finite number ≥ 0 is taken as is,
 * an ISO-8601 string must carry a time zone (`Z` or `±hh:mm`) so the result never
 * depends on the machine's zone. Returns NaN for anything else.
 */
export function tickTimeMs(ts: unknown): number {
  if (typeof ts === 'number') return ts >= 0 && ts <= MAX_TICK_TIME_MS ? ts : Number.NaN;
  if (typeof ts !== 'string' || !ISO_8601.test(ts)) return Number.NaN;
  const ms = Date.parse(ts);
  return ms >= 0 && ms <= MAX_TICK_TIME_MS ? ms : Number.NaN;
}

/**
 * Reads a `ts` written as text (a CSV cell): digits are epoch ms, anything else is
 * kept as the string, for {@link tickTimeMs} to parse as ISO-8601 or reject.
 */
export function tickTimeFromText(text: string): number | string {
  const trimmed = text.trim();
  return EPOCH_MS.test(trimmed) ? Number(trimmed) : trimmed;
}
