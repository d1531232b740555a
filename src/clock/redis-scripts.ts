import { LUA_PARSE_START, RAW_EXCERPT_LENGTH, START_VALUE_MAX_LENGTH } from './start-value.js';

/** Keys per `MGET` in {@link OBSERVE_MANY_SCRIPT}: well under the 8,000 values Lua's `unpack` can put on its stack. */
const MGET_CHUNK = 1000;

/**
 * How often, in rounds that send it, a batch caller tags a start it knows `A` (check its
 * expiry) instead of `a` (its expiry was checked): {@link OBSERVE_MANY_SCRIPT}'s fast
 * path checks `PTTL` only on `A` keys. See {@link LUA_UNCHANGED_READS} for why that is enough.
 */
export const EXPIRY_CHECK_EVERY = 16;

/**
 * The rule of one observation of one key, shared by {@link OBSERVE_SCRIPT} and
 * {@link OBSERVE_MANY_SCRIPT} so a scope observed alone or in a batch follows the
 * same steps: read the value (a key of another type is corrupt), parse it by
 * {@link LUA_PARSE_START} (skipped when it equals `known`, a value the caller
 * already parsed as valid), check it is plausible against Redis's `now`, then
 * calm (compare-and-delete, or the calm grace), panic (first writer wins, dead
 * man's switch) or read (publisher mode). A corrupt value is replaced with now
 * (deleted on calm). A valid start found without an expiry (an operator's `SET`, a
 * foreign writer, a `PERSIST`) gets the dead man's switch whatever the kind, so a panic
 * nobody confirms cannot live forever even where only readers look; a start with an
 * expiry keeps it (a read never extends a panic). `checked` (the caller's tag `a`, not
 * `A`) says the caller saw `known` with an expiry in a recent round: a read that finds
 * that value again skips the `PTTL` (see {@link LUA_UNCHANGED_READS}). `fetched` is the key's string value when the caller has
 * just read it (by `MGET`); nil (or false) reads it here with `GET`, which also tells
 * a missing key from one of another type. Returns state, start (a number or nil),
 * the value stored afterwards (or nil), the corruption reason ('' if none) and the
 * raw value found.
 */
const LUA_OBSERVE_KEY = `
local function observeKey(key, kind, now, nowStr, deadman, graceMs, maxSkew, issuedAt, known, fetched, checked)
  local raw = fetched
  if not raw then raw = redis.pcall('GET', key) end
  local corrupt = ''
  local start = nil
  if type(raw) == 'table' then
    corrupt = 'wrong_type'
    raw = redis.call('TYPE', key)['ok']
  elseif raw then
    if raw == known then start = tonumber(raw) else start = parseStart(raw) end
    if start == nil or start ~= start then corrupt = 'unparsable'
    elseif start < 1000000000 then corrupt = 'implausible'
    elseif start > now + maxSkew then corrupt = 'future'
    end
    if corrupt ~= '' then start = nil end
  end

  if kind == 'calm' then
    if not raw then return 'none', nil, nil, '', nil end
    if not start then
      redis.call('DEL', key)
      return 'none', nil, nil, corrupt, raw
    end
    -- Compare-and-delete: a panic that began after this calm was seen is newer; keep it
    -- (with the dead man's switch, if whoever wrote it gave it no expiry).
    if issuedAt and start > issuedAt then
      if redis.call('PTTL', key) == -1 then redis.call('EXPIRE', key, deadman) end
      return 'active', start, raw, '', nil
    end
    if graceMs > 0 then
      local pttl = redis.call('PTTL', key)
      if pttl < 0 or pttl > graceMs then redis.call('PEXPIRE', key, graceMs) end
      return 'grace', start, raw, '', nil
    end
    redis.call('DEL', key)
    return 'ended', start, nil, '', nil
  end

  if not start then
    if kind == 'read' and not raw then return 'none', nil, nil, '', nil end
    if corrupt == 'wrong_type' then redis.call('DEL', key) end
    -- A read repairs in place and keeps the key's expiry; a key without one gets the dead
    -- man's switch, so a repaired start is never a panic that outlives every writer.
    if kind == 'read' and corrupt ~= 'wrong_type' and redis.call('PTTL', key) > 0 then
      redis.call('SET', key, nowStr, 'KEEPTTL')
    else
      redis.call('SET', key, nowStr, 'EX', deadman)
    end
    return 'created', now, nowStr, corrupt, raw
  end

  if kind == 'panic' then
    redis.call('EXPIRE', key, deadman)
    return 'active', start, raw, '', nil
  end
  -- A read: a start without expiry gets the dead man's switch (from now: the time it had left
  -- before a PERSIST is gone), one with an expiry keeps it. Skipped for the value the caller
  -- checked in a recent round (tag 'a'), as the fast path skips it.
  if graceMs > 0 or not (checked and raw == known) then
    local pttl = redis.call('PTTL', key)
    if pttl == -1 then
      redis.call('EXPIRE', key, deadman)
    elseif graceMs > 0 and pttl >= 0 and pttl <= graceMs then
      return 'grace', start, raw, '', nil
    end
  end
  return 'active', start, raw, '', nil
end
`;

/**
 * The steady state of a sync round, answered before {@link OBSERVE_MANY_SCRIPT}'s
 * loop: every entry a read (`r`), no calm grace, every key (read by one `MGET` per
 * ${MGET_CHUNK}) still holding the start the caller knows (its tag `a<start>` or
 * `A<start>`), a number that passes the checks {@link LUA_OBSERVE_KEY} applies to a
 * known value (not NaN, not before 2001, not past now + maxSkew), every `A` key still
 * expiring, and every key the caller knows calm (its tag exactly `n`) still missing —
 * `MGET` answers nil for a key of another type too, so one `EXISTS` per chunk over those
 * keys must count none. Then `observeKey` would answer every start 'active' and every
 * calm key 'none', writing nothing, and the reply leaves them all out: `{now}`. Calm
 * scopes are most of a real fleet's; without them the loop judged every round that held
 * one. The first key that differs in any way (another value, a key now present or of
 * another type, a failed check, a tag that is neither `a`, `A` nor `n`, an `A` key
 * without expiry) returns false before
 * anything is written, and the loop judges the whole batch as before (and gives a
 * start without expiry the dead man's switch). It saves the loop's per-key work (tag
 * parsing, `observeKey`'s call and returns, the tables of keys written), which is
 * most of Redis's CPU per round at thousands of scopes.
 *
 * Why `PTTL` on the `A` keys only (1 in ${EXPIRY_CHECK_EVERY} per round), not on every key: a
 * `PTTL` per key costs Redis 1.75× the fast path's CPU, 1 in ${EXPIRY_CHECK_EVERY} costs 1.04×
 * (0.53 → 0.92 or 0.55 ms per 1,000 keys, `bench/expiry-check.bench.ts`). A tag `a<start>` means a round of
 * this caller saw that very value, and every observation that sees a valid start
 * without expiry gives it the switch, so the key had one then. Nothing of ours takes it
 * away: every write of a start here sets EX or KEEPTTL. What can leave the same value
 * without expiry between two rounds is a writer outside the clock: `PERSIST`, a `SET`
 * (or `DEL` then `SET`, `RESTORE`) of the same bytes without EX. Checking only keys
 * whose value the caller never saw would miss those forever in a quiet fleet, so the
 * caller tags each start it knows `A` once every ${EXPIRY_CHECK_EVERY} rounds that send it (spread
 * over rounds, not all in one): such a start gets the switch back within ${EXPIRY_CHECK_EVERY} rounds of
 * any one reader (1.6 s at the breaker's 100 ms sync), then expires a dead man's switch
 * later unless a panic observation pushes it back.
 */
const LUA_UNCHANGED_READS = `
local function unchangedReads()
  if graceMs > 0 or #kinds ~= #KEYS or string.find(kinds, '[^r]') then return false end
  local limit = now + maxSkew
  local at = 1
  for from = 1, #KEYS, ${MGET_CHUNK} do
    local values = redis.call('MGET', unpack(KEYS, from, math.min(#KEYS, from + ${MGET_CHUNK - 1})))
    local calm = {}
    for j = 1, #values do
      local code = string.byte(tags, at)
      local comma = string.find(tags, ',', at, true)
      local last = #tags
      if comma then last = comma - 1 end
      local value = values[j]
      if code == 110 then
        if value or last ~= at then return false end
        calm[#calm + 1] = KEYS[from + j - 1]
      else
        if code ~= 97 and code ~= 65 then return false end
        if value ~= string.sub(tags, at + 1, last) then return false end
        local start = tonumber(value)
        if start == nil or start ~= start or start < 1000000000 or start > limit then return false end
        if code == 65 and redis.call('PTTL', KEYS[from + j - 1]) == -1 then return false end
      end
      at = last + 2
    end
    if #calm > 0 and redis.call('EXISTS', unpack(calm)) > 0 then return false end
  end
  return true
end
`;

/** The arguments both observation scripts start with, read into locals, and Redis `TIME`. */
const LUA_PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
${LUA_PARSE_START}
${LUA_OBSERVE_KEY}
local deadman = tonumber(ARGV[2])
local graceMs = tonumber(ARGV[3])
local maxSkew = tonumber(ARGV[4])
local issuedAt = tonumber(ARGV[5])
local staleAfter = tonumber(ARGV[6])

local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nowStr = string.format('%.6f', now)
-- A panic observation that waited too long in a client queue must not start a
-- panic the market may have left since; it only reads.
local stale = issuedAt ~= nil and now - issuedAt > staleAfter
`;

/**
 * The panic clock's round trip for one scope. Runs atomically on the Redis server, so "first
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
${LUA_PRELUDE}
local key = KEYS[1]
local kind = ARGV[1]

if kind == 'start' then
  local startStr = string.format('%.6f', now - tonumber(ARGV[7]))
  redis.call('SET', key, startStr, 'EX', deadman)
  return {'created', startStr, nowStr, '', '', '0'}
end
if kind == 'panic' and stale then kind = 'read' end

local state, start, stored, corrupt, raw = observeKey(key, kind, now, nowStr, deadman, graceMs, maxSkew, issuedAt, nil, nil, false)
local startStr = ''
if start then startStr = string.format('%.6f', start) end
if corrupt == '' then return {state, startStr, nowStr, '', '', '0'} end
return {state, startStr, nowStr, corrupt, string.sub(raw, 1, ${RAW_EXCERPT_LENGTH + 1}), tostring(#raw)}
`;

/**
 * The panic clock's round trip for many scopes: the rule of {@link OBSERVE_SCRIPT}
 * applied to each key in turn, in one atomic script with one `TIME`. On a Redis
 * Cluster every key of one call must be in one hash slot (the clock groups them).
 * The caller says what it last knew of each key, and the reply carries only the
 * keys whose state differs from that, so a refresh of thousands of unchanged
 * scopes answers a few bytes; such a round (every entry a read of a key still
 * holding the start the caller knows, no calm grace) is recognised before the loop
 * ({@link LUA_UNCHANGED_READS}) and costs Redis its `MGET`s and one comparison per key.
 *
 * KEYS     the scopes' keys
 * ARGV[1]  unused ('' : keeps ARGV[2..6] where {@link OBSERVE_SCRIPT} has them)
 * ARGV[2..6]  as in {@link OBSERVE_SCRIPT}
 * ARGV[7]  one character per key: 'p' panic, 'c' calm, 'r' read
 * ARGV[8]  what the caller knows of each key, comma-separated, in KEYS order: 'a'
 *          followed by the valid start it read with an expiry (a panic running from it),
 *          'A' followed by such a start whose expiry to check this round (a start found
 *          without one gets the dead man's switch), 'n' (no panic stored), or 'u'
 *          (unknown; so is a missing one). One argument, not
 *          one per key: a round of 1,000 keys costs the client half the arguments
 *          to encode. A valid start holds no comma (digits, '.', '-', whitespace).
 * ARGV[8 + i]  optional: when the observation of KEYS[i] was seen, Unix seconds
 *          on Redis's clock ('' or absent: ARGV[5]). A calm or panic that waited in the
 *          caller's batch is judged by it, as {@link OBSERVE_SCRIPT} judges its ARGV[5]:
 *          stale past ARGV[6], and compare-and-delete keeps a start newer than it.
 *
 * Returns { now, then per key that differs: index (1-based), state, start,
 * stored value, corruptReason, corruptRaw, corruptLength }, all strings. A key
 * left out is as the caller knew it: 'a' → active from that start, 'n' → none.
 */
export const OBSERVE_MANY_SCRIPT = `
${LUA_PRELUDE}
local kinds = ARGV[7]
local tags = ARGV[8] or ''
${LUA_UNCHANGED_READS}
if unchangedReads() then return {nowStr} end
local at = 1
local out = {nowStr}
-- Keys this script started a panic in: a later calm of the same key in the batch was
-- seen after that panic (the batch's order), so compare-and-delete does not keep it.
local created = {}
-- Keys whose value this script changed (SET or DEL): a later entry of the same key reads it again.
local changed = {}
-- The values are read by one MGET per ${MGET_CHUNK} keys (unpack's limit is Lua's C stack), not one
-- GET per key: a round of thousands of unchanged keys costs Redis one command per chunk.
-- MGET answers false for a missing key and for one of another type: observeKey reads those with GET.
local fetched = {}
local fetchedFrom = 1
for i = 1, #KEYS do
  if (i - 1) % ${MGET_CHUNK} == 0 then
    fetchedFrom = i
    fetched = redis.call('MGET', unpack(KEYS, i, math.min(#KEYS, i + ${MGET_CHUNK - 1})))
  end
  local code = string.byte(kinds, i)
  local kind
  if code == 112 then kind = 'panic' elseif code == 99 then kind = 'calm' elseif code == 114 then kind = 'read'
  else return redis.error_reply('observation kind ' .. tostring(i) .. ' must be p, c or r') end
  local issued = issuedAt
  local seen = ARGV[8 + i]
  if seen ~= nil and seen ~= '' then issued = tonumber(seen) end
  if kind == 'panic' and issued ~= nil and now - issued > staleAfter then kind = 'read' end
  local comma = string.find(tags, ',', at, true)
  local expect
  if comma then
    expect = string.sub(tags, at, comma - 1)
    at = comma + 1
  else
    expect = string.sub(tags, at)
    at = #tags + 2
  end
  local tag = string.byte(expect, 1)
  local known = nil
  if tag == 97 or tag == 65 then known = string.sub(expect, 2) end
  local key = KEYS[i]
  if created[key] then issued = nil end
  local value = fetched[i - fetchedFrom + 1]
  if changed[key] then value = nil end
  local state, start, stored, corrupt, raw = observeKey(key, kind, now, nowStr, deadman, graceMs, maxSkew, issued, known, value, tag == 97)
  if state == 'created' then created[key] = true end
  if state == 'created' or state == 'ended' or corrupt ~= '' then changed[key] = true end
  local same = (known ~= nil and state == 'active' and stored == known) or (tag == 110 and state == 'none' and corrupt == '')
  if not same then
    local n = #out
    out[n + 1] = tostring(i)
    out[n + 2] = state
    out[n + 3] = start and string.format('%.6f', start) or ''
    out[n + 4] = stored or ''
    out[n + 5] = corrupt
    if corrupt == '' then
      out[n + 6] = ''
      out[n + 7] = '0'
    else
      out[n + 6] = string.sub(raw, 1, ${RAW_EXCERPT_LENGTH + 1})
      out[n + 7] = tostring(#raw)
    end
  end
end
return out
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
