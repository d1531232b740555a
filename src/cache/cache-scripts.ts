/**
 * Reads an entry and Redis's clock in one atomic round trip, so the entry's age is
 * Redis-now minus Redis-written-at, whatever the local clocks say.
 *
 * KEYS[1] the entry's key
 * Returns { state, value, seconds, microseconds }: state 'ok' (value is the raw
 * string), 'none' (no key) or 'wrong_type' (value is the Redis type).
 */
export const READ_SCRIPT = `
local raw = redis.pcall('GET', KEYS[1])
local t = redis.call('TIME')
if type(raw) == 'table' then
  return {'wrong_type', redis.call('TYPE', KEYS[1])['ok'], t[1], t[2]}
end
if not raw then return {'none', '', t[1], t[2]} end
return {'ok', raw, t[1], t[2]}
`;

/**
 * Writes an entry stamped with Redis's clock: value `<writtenAtMs>:<payload>`,
 * expiring after ARGV[2] ms (always ≥ 1: a store never receives "0 = forever").
 *
 * KEYS[1] the entry's key; ARGV[1] the serialized payload; ARGV[2] expiry in ms.
 * Returns the stamp, ms since the epoch on Redis's clock, as a string.
 */
export const WRITE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local stamp = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
redis.call('SET', KEYS[1], stamp .. ':' .. ARGV[1], 'PX', ARGV[2])
return stamp
`;

/** Deletes a lock only if it still holds the caller's token. KEYS[1] the lock; ARGV[1] the token. */
export const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
