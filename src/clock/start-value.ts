import type { CorruptValue } from './panic-clock.js';

/** Starts before this (2001-09-09) are not plausible panic starts: garbage, zero or negative. */
export const MIN_PLAUSIBLE_START_S = 1_000_000_000;

/** Longest stored start accepted, in bytes (a valid start is ASCII, so also characters). Longer values are corrupt. */
export const START_VALUE_MAX_LENGTH = 64;

/** Characters of a raw value kept in logs, hook events and errors; the rest is replaced by its length. */
export const RAW_EXCERPT_LENGTH = 32;

/**
 * The one grammar of a stored start, in Unix seconds: optional ASCII whitespace
 * (space, tab, LF, VT, FF, CR — Lua's `%s`), an optional `-`, decimal digits,
 * optionally a `.` and decimal digits, optional ASCII whitespace; at most
 * {@link START_VALUE_MAX_LENGTH} characters. Hex (`0x1.9p30`), exponents (`1.7e9`),
 * `inf`, `nan`, a leading `+`, a bare `.` and Unicode spaces are corrupt: no writer
 * of the key produces them, and Lua's `tonumber` and JavaScript's `Number` read
 * them differently. The Lua scripts apply {@link LUA_PARSE_START}, the same rule.
 */
export const START_VALUE_PATTERN = /^[ \t\n\v\f\r]*-?[0-9]+(?:\.[0-9]+)?[ \t\n\v\f\r]*$/;

/**
 * {@link START_VALUE_PATTERN} as a Lua function `parseStart(s)` → number or nil,
 * embedded in the scripts that read a start. Lua patterns have no optional group,
 * so the decimal part is a second pattern; `%s` and `%d` are ASCII in Redis's Lua.
 */
export const LUA_PARSE_START = `
local function parseStart(s)
  if #s > ${START_VALUE_MAX_LENGTH} then return nil end
  if string.match(s, '^%s*%-?%d+%s*$') or string.match(s, '^%s*%-?%d+%.%d+%s*$') then return tonumber(s) end
  return nil
end
`;

/** Formats a start the way the Python workers write it: Unix seconds as a decimal string. */
export function formatStartValue(startMs: number): string {
  return (startMs / 1000).toFixed(6);
}

/** Turns a raw stored value (string, Buffer or number) into text, as found. */
export function rawToText(raw: string | Buffer | number): string {
  if (typeof raw === 'number') return String(raw);
  return Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
}

/** The first {@link RAW_EXCERPT_LENGTH} characters of a raw value, with `…` when it was longer: what logs and events show. */
export function rawExcerpt(text: string): string {
  return text.length > RAW_EXCERPT_LENGTH ? `${text.slice(0, RAW_EXCERPT_LENGTH)}…` : text;
}

/** A corrupt value as reported: its reason, a short excerpt and its full length in bytes. */
export function corruptValue(reason: CorruptValue['reason'], text: string, length = Buffer.byteLength(text)): CorruptValue {
  return { reason, raw: rawExcerpt(text), rawLength: length };
}

/**
 * Parses a stored start (Unix seconds as string, Buffer or number) by
 * {@link START_VALUE_PATTERN} and checks that it is plausible against `nowMs`.
 * The Redis script applies the same rule ({@link LUA_PARSE_START}); a test runs
 * one table of values through both. `length` is the value's full length in bytes
 * when `raw` is only its beginning (the scripts send at most 65 bytes back).
 */
export function parseStartValue(
  raw: string | Buffer | number,
  nowMs: number,
  maxClockSkewSeconds: number,
  length?: number,
): { startMs: number; corrupt: null } | { startMs: null; corrupt: CorruptValue } {
  const text = rawToText(raw);
  const fullLength = length ?? (Buffer.isBuffer(raw) ? raw.length : Buffer.byteLength(text));
  const seconds = typeof raw === 'number' ? (Number.isFinite(raw) ? raw : Number.NaN) : fullLength <= START_VALUE_MAX_LENGTH && START_VALUE_PATTERN.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(seconds)) return { startMs: null, corrupt: corruptValue('unparsable', text, fullLength) };
  if (seconds < MIN_PLAUSIBLE_START_S) return { startMs: null, corrupt: corruptValue('implausible', text, fullLength) };
  if (seconds * 1000 > nowMs + maxClockSkewSeconds * 1000) return { startMs: null, corrupt: corruptValue('future', text, fullLength) };
  return { startMs: seconds * 1000, corrupt: null };
}
