import { LUA_PARSE_START, RAW_EXCERPT_LENGTH, START_VALUE_MAX_LENGTH } from './start-value.js';

/**
 * The panic clock's one round trip. Runs atomically on the Redis server, so "first
 * writer wins" and "compare-and-delete" need no other lock, and the duration is
 * measured on Redis's own clock (`TIME`).
 *
 * KEYS[1]  the scope's key
 * ARGV[1]  'panic' | 'calm' | 'read' | 'start'
 * ARGV[2]  dead man's switch, seconds
 * ARGV[3]  calm grace, ms (0 = delete on calm)
 * ARGV[4]  tolerated clock skew of writers, seconds
 * ARGV[5]  when the caller issued the command, Unix seconds on Redis's clock ('' if unknown)
 * ARGV[6]  age past which a queued observation is stale, seconds
 * ARGV[7]  for 'start': how far to backdate the start, seconds
 *
 * Returns { state, start, now, corruptReason, corruptRaw, corruptLength }, all
 * strings: state is 'created' | 'active' | 'none' | 'ended' | 'grace';
 * corruptRaw is at most the first ${RAW_EXCERPT_LENGTH + 1} bytes of a corrupt value, corruptLength its
 * length in bytes. A start is parsed by {@link LUA_PARSE_START}, the grammar the
 * TypeScript side uses too.
 */
export const OBSERVE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
${LUA_PARSE_START}
local key = KEYS[1]
local kind = ARGV[1]
local deadman = tonumber(ARGV[2])
local graceMs = tonumber(ARGV[3])
local maxSkew = tonumber(ARGV[4])
local issuedAt = tonumber(ARGV[5])
local staleAfter = tonumber(ARGV[6])

local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nowStr = string.format('%.6f', now)

if kind == 'start' then
  local startStr = string.format('%.6f', now - tonumber(ARGV[7]))
  redis.call('SET', key, startStr, 'EX', deadman)
  return {'created', startStr, nowStr, '', '', '0'}
end

-- A panic observation that waited too long in a client queue must not start a
-- panic the market may have left since; it only reads.
if kind == 'panic' and issuedAt and now - issuedAt > staleAfter then kind = 'read' end

local raw = redis.pcall('GET', key)
local corrupt = ''
local start = nil
if type(raw) == 'table' then
  corrupt = 'wrong_type'
  raw = redis.call('TYPE', key)['ok']
elseif raw then
  start = parseStart(raw)
  if start == nil or start ~= start then corrupt = 'unparsable'
  elseif start < 1000000000 then corrupt = 'implausible'
  elseif start > now + maxSkew then corrupt = 'future'
  end
  if corrupt ~= '' then start = nil end
end
local rawStr = ''
local rawLen = '0'
if raw then
  rawStr = string.sub(raw, 1, ${RAW_EXCERPT_LENGTH + 1})
  rawLen = tostring(#raw)
end

if kind == 'calm' then
  if not raw then return {'none', '', nowStr, '', '', '0'} end
  if not start then
    redis.call('DEL', key)
    return {'none', '', nowStr, corrupt, rawStr, rawLen}
  end
  local startStr = string.format('%.6f', start)
  -- Compare-and-delete: a panic that began after this calm was seen is newer; keep it.
  if issuedAt and start > issuedAt then return {'active', startStr, nowStr, '', '', '0'} end
  if graceMs > 0 then
    local pttl = redis.call('PTTL', key)
    if pttl < 0 or pttl > graceMs then redis.call('PEXPIRE', key, graceMs) end
    return {'grace', startStr, nowStr, '', '', '0'}
  end
  redis.call('DEL', key)
  return {'ended', startStr, nowStr, '', '', '0'}
end

if not start then
  if kind == 'read' and not raw then return {'none', '', nowStr, '', '', '0'} end
  if corrupt == 'wrong_type' then redis.call('DEL', key) end
  if kind == 'read' and corrupt ~= 'wrong_type' then
    redis.call('SET', key, nowStr, 'KEEPTTL')
  else
    redis.call('SET', key, nowStr, 'EX', deadman)
  end
  return {'created', nowStr, nowStr, corrupt, rawStr, rawLen}
end

local startStr = string.format('%.6f', start)
if kind == 'panic' then
  redis.call('EXPIRE', key, deadman)
  return {'active', startStr, nowStr, '', '', '0'}
end
if graceMs > 0 then
  local pttl = redis.call('PTTL', key)
  if pttl >= 0 and pttl <= graceMs then return {'grace', startStr, nowStr, '', '', '0'} end
end
return {'active', startStr, nowStr, '', '', '0'}
`;

/**
 * Read-only look at a key: { now, type, raw, pttl, length }, raw cut to its first
 * ${START_VALUE_MAX_LENGTH + 1} bytes (one more than a valid start may have) and length the whole
 * value's, so a huge corrupt value is never sent back whole. Never changes the
 * key, so it is safe for `vix-ttl status` and replicas.
 *
 * ARGV[1] 'writable' (readiness) also runs a write command that changes nothing
 * (`SETRANGE key 0 ""`: no key created, no value changed, nothing replicated), so
 * the script fails as OBSERVE would where Redis refuses writes: `READONLY` on a
 * read-only replica, `NOREPLICAS` under `min-replicas-to-write`, `MISCONF` after a
 * failed save. A key of another type (`WRONGTYPE`) accepted the write: OBSERVE repairs it.
 */
export const INSPECT_SCRIPT = `
if ARGV[1] == 'writable' then
  local probe = redis.pcall('SETRANGE', KEYS[1], 0, '')
  if type(probe) == 'table' and probe.err and not string.find(probe.err, 'WRONGTYPE', 1, true) then return probe end
end
local t = redis.call('TIME')
local nowStr = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
local typ = redis.call('TYPE', KEYS[1])['ok']
local raw = ''
local len = 0
if typ == 'string' then
  raw = redis.call('GET', KEYS[1])
  len = #raw
  raw = string.sub(raw, 1, ${START_VALUE_MAX_LENGTH + 1})
end
return {nowStr, typ, raw, tostring(redis.call('PTTL', KEYS[1])), tostring(len)}
`;
