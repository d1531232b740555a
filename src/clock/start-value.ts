import type { CorruptValue } from './panic-clock.js';

/** Starts before this (2001-09-09) are not plausible panic starts: garbage, zero or negative. */
export const MIN_PLAUSIBLE_START_S = 1_000_000_000;

/** Formats a start the way the Python workers write it: Unix seconds as a decimal string. */
export function formatStartValue(startMs: number): string {
  return (startMs / 1000).toFixed(6);
}

/** Turns a raw stored value (string, Buffer or number) into text, as found. */
export function rawToText(raw: string | Buffer | number): string {
  if (typeof raw === 'number') return String(raw);
  return Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
}

/**
 * Parses a stored start (Unix seconds as string, Buffer or number) and checks that
 * it is plausible against `nowMs`. Mirrors the rule the Redis script applies.
 */
export function parseStartValue(
  raw: string | Buffer | number,
  nowMs: number,
  maxClockSkewSeconds: number,
): { startMs: number; corrupt: null } | { startMs: null; corrupt: CorruptValue } {
  const text = rawToText(raw);
  const seconds = typeof raw === 'number' ? raw : text.trim() === '' ? Number.NaN : Number(text);
  if (Number.isNaN(seconds)) return { startMs: null, corrupt: { reason: 'unparsable', raw: text } };
  if (seconds < MIN_PLAUSIBLE_START_S) return { startMs: null, corrupt: { reason: 'implausible', raw: text } };
  if (seconds * 1000 > nowMs + maxClockSkewSeconds * 1000) return { startMs: null, corrupt: { reason: 'future', raw: text } };
  return { startMs: seconds * 1000, corrupt: null };
}
