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
 * Writes an entry stamped with Redis's clock: value `<writtenAtMs><tags>:<payload>`,
 * expiring after ARGV[2] ms (always ≥ 1: a store never receives "0 = forever") —
 * unless the key holds a tombstone (`<ms>!`, left by a delete) dated at or after
 * ARGV[3], the Redis time of a read made before the value was loaded: the value may
 * then predate the invalidation ('invalidated'). ARGV[3] '' refuses over any
 * tombstone. A load older than the tombstones' life (ARGV[5]) cannot be checked ('too_old').
 *
 * KEYS[1] the entry's key; ARGV[1] payload; ARGV[2] expiry ms; ARGV[3] loaded-after ms or '';
 * ARGV[4] the tags segment ('' or '~<length>~<tags>'); ARGV[5] tombstone life ms.
 * Returns {'ok', stamp} (ms since the epoch on Redis's clock), {'invalidated'} or {'too_old'}.
 */
export const WRITE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'string' then
  local dead = string.match(cur, '^(%d+)!$')
  if dead and (ARGV[3] == '' or tonumber(dead) >= tonumber(ARGV[3])) then return {'invalidated'} end
end
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] ~= '' and now - tonumber(ARGV[3]) >= tonumber(ARGV[5]) then return {'too_old'} end
local stamp = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
redis.call('SET', KEYS[1], stamp .. ARGV[4] .. ':' .. ARGV[1], 'PX', ARGV[2])
return {'ok', stamp}
`;

/**
 * Deletes an entry by leaving a tombstone `<ms>!` (Redis time) for ARGV[1] ms, so a
 * load that began before cannot write its older value back (see WRITE_SCRIPT).
 * KEYS[1] the entry's key. Returns 1 when an entry (not a tombstone) was there.
 */
export const TOMBSTONE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local cur = redis.pcall('GET', KEYS[1])
local had = 0
if type(cur) == 'table' or (type(cur) == 'string' and not string.match(cur, '^%d+!$')) then had = 1 end
redis.call('SET', KEYS[1], t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000)) .. '!', 'PX', ARGV[1])
return had
`;

/**
 * Adds an entry's key to a tag's index before the entry is written, unless the tag
 * was invalidated at or after ARGV[3] (its tombstone KEYS[2] holds `<ms>:<id>`): the
 * value may predate that invalidation. The index is a sorted set scored by when the
 * member may be dropped (the entry's expiry plus ARGV[4] ms, longer than a write can
 * lag its indexing); members past it are removed here, so a tag never invalidated
 * does not collect dead keys. The set lives as long as its latest member.
 *
 * KEYS[1] the tag's index; KEYS[2] its tombstone (same hash slot); ARGV[1] the entry's
 * key; ARGV[2] the entry's expiry ms; ARGV[3] loaded-after ms or ''; ARGV[4] margin ms.
 * Returns 'ok' or 'invalidated'.
 */
export const TAG_ADD_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local inv = redis.pcall('GET', KEYS[2])
if type(inv) == 'string' then
  local at = tonumber(string.match(inv, '^(%d+)'))
  if ARGV[3] == '' or (at and at >= tonumber(ARGV[3])) then return 'invalidated' end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local keep = tonumber(ARGV[2]) + tonumber(ARGV[4])
if redis.call('TYPE', KEYS[1])['ok'] ~= 'zset' then redis.call('DEL', KEYS[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + keep, ARGV[1])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return 'ok'
`;

/**
 * Starts invalidating a tag, atomically: dates its tombstone (KEYS[2] = `<ms>:<id>`,
 * for ARGV[2] ms) and moves its index to KEYS[3], which the caller then reads
 * with ZSCAN (entries tombstoned a batch at a time) and deletes. A tag whose
 * tombstone already carries this id was handled by another process: nothing is done.
 *
 * KEYS[1] the tag's set; KEYS[2] its tombstone; KEYS[3] where the set moves (same
 * hash slot); ARGV[1] the invalidation's id; ARGV[2] tombstone life ms.
 * Returns the number of members moved, or -1 when the id was already handled.
 */
export const TAG_TAKE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local inv = redis.pcall('GET', KEYS[2])
local suffix = ':' .. ARGV[1]
if type(inv) == 'string' and string.sub(inv, -#suffix) == suffix then return -1 end
local t = redis.call('TIME')
redis.call('SET', KEYS[2], t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000)) .. suffix, 'PX', ARGV[2])
if redis.call('TYPE', KEYS[1])['ok'] ~= 'zset' then
  redis.call('DEL', KEYS[1])
  return 0
end
local n = redis.call('ZCARD', KEYS[1])
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return n
`;

/** Deletes a lock only if it still holds the caller's token. KEYS[1] the lock; ARGV[1] the token. */
export const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
