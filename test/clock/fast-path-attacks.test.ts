import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisPanicClock, type ObservationResult } from '../../src/index.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { RedisServer } from '../support/redis-server.js';
import { useClockRoundWorkers } from '../support/use-clock-round-workers.js';

// Hostile writers against the batch script's fast path (a round of reads of keys all still
// holding the starts the clock knows, answered after the MGETs). The oracle is the per-key
// loop itself: the same writes are made under a second key prefix, read by a fresh clock
// (it knows no key, so every key is tagged 'u' and judged one by one). Whatever a writer
// does, the clock that knows the keys must answer, and leave in Redis, what the loop does.

const SCOPES = 1200; // two MGETs in one script
const KNOWN = 'atk:known';
const ORACLE = 'atk:oracle';
const options = { timeoutMs: 5000, maxKeysPerScript: 2000 };
const scopes = Array.from({ length: SCOPES }, (_, i) => `s-${i}`);
const reads = scopes.map((scope) => ({ scope, kind: 'read' as const }));

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = server.client();
});
afterAll(async () => server.stop());
beforeEach(async () => {
  await redis.flushall();
});

async function redisNow(): Promise<number> {
  const [s] = await redis.time();
  return Number(s);
}

/**
 * What a round answers for one scope. A start the script wrote (Redis's now, which
 * differs between two scripts) is 'written', in this round or, for `writtenBefore`,
 * the one before.
 */
function summary(result: ObservationResult | undefined, writtenBefore: number | null = null): unknown {
  if (!result?.ok) return { ok: false, error: result?.error.message };
  const { active, created, repaired, startedAtMs } = result.observation;
  const written = created || (startedAtMs !== null && startedAtMs === writtenBefore);
  return { active, created, repaired: repaired?.reason ?? null, startedAtMs: written ? 'written' : startedAtMs };
}

/** The start a round wrote for a scope, or null. */
function writtenIn(round: readonly ObservationResult[] | undefined, i: number): number | null {
  const result = round?.[i];
  return result?.ok && result.observation.created ? result.observation.startedAtMs : null;
}

/** One key as Redis holds it: type, value ('written' for a start the script wrote) and whether it expires. */
async function keyState(key: string, written: boolean): Promise<unknown> {
  const type = await redis.type(key);
  const pttl = await redis.pttl(key);
  const value = type === 'string' ? await redis.get(key) : null;
  return { type, value: written ? 'written' : value, expires: pttl === -2 ? 'missing' : pttl === -1 ? 'never' : 'yes' };
}

/**
 * Seeds both prefixes with the same starts (half as integers, half as the clock
 * writes them), lets the known clock learn every key, and returns the values
 * written. Every scope holds a start (calm scopes: the describe after this one).
 */
async function seed(known: RedisPanicClock): Promise<string[]> {
  const now = await redisNow();
  const values = scopes.map((_, i) => (i % 2 === 1 ? String(now - 60 - i) : (now - 60 - i + 0.25).toFixed(6)));
  const batch = redis.pipeline();
  for (const prefix of [KNOWN, ORACLE]) values.forEach((value, i) => batch.set(`${prefix}:${scopes[i]}`, value, 'EX', 86_400));
  await batch.exec();
  const learnt = await known.observeMany(reads);
  expect(learnt.map((r) => r.ok && r.observation.startedAtMs)).toEqual(values.map((value) => Number(value) * 1000));
  return values;
}

interface Rounds {
  fast: ObservationResult[];
  loop: ObservationResult[];
}

/**
 * Runs one round on both prefixes and expects the same answers for every scope and
 * the same keys in Redis for `watched`; `before` is the previous such round.
 */
async function expectSameAsLoop(known: RedisPanicClock, watched: number[], label: string, before?: Rounds): Promise<Rounds> {
  const fast = await known.observeMany(reads);
  const loop = await new RedisPanicClock(redis, { ...options, keyPrefix: ORACLE }).observeMany(reads);
  const fastOf = (i: number) => summary(fast[i], writtenIn(before?.fast, i));
  const loopOf = (i: number) => summary(loop[i], writtenIn(before?.loop, i));
  const differing = scopes.flatMap((scope, i) => (JSON.stringify(fastOf(i)) === JSON.stringify(loopOf(i)) ? [] : [{ scope, fast: fastOf(i), loop: loopOf(i) }]));
  expect(differing, label).toEqual([]);
  for (const i of watched) {
    const written = (fastOf(i) as { startedAtMs?: unknown }).startedAtMs === 'written';
    expect(await keyState(`${KNOWN}:${scopes[i]}`, written), `${label}: key of ${scopes[i]}`).toEqual(await keyState(`${ORACLE}:${scopes[i]}`, written));
  }
  return { fast, loop };
}

describe('hostile writers against the batch fast path: a clock that knows every key answers as the per-key loop does', () => {
  // Each rewrite is made alone (one key of 1,200 in the second MGET, every other key still as known),
  // so the fast path's checks alone decide whether the round goes through the loop. Each case fails with
  // a weaker check: comparing by number (Lua's tonumber reads the refused forms as the known start), by
  // prefix (a truncated start), by prefix without the plausibility check (the comma case), or not at all
  // (a later start, a hex float). Tried and held too, left out as they fail none of those: the same start
  // in accepted forms (trailing zeros, spaces, tabs and CRLF, 64 digits), an empty string, garbage, a
  // non-breaking space, a comma alone, another key type (hash, list, set), a key deleted, expired or
  // re-created with the same start with expiry. Re-created without expiry (or PERSISTed), the answer is
  // the loop's, but the key gets its dead man's switch back only in the round that checks its expiry (1 in
  // EXPIRY_CHECK_EVERY): test/clock/start-without-expiry.test.ts.
  const rewrites: Array<[name: string, index: number, rewrite: (value: string, nextKeys: string) => string]> = [
    ['an integer start with a trailing dot', 1001, (v) => `${v}.`],
    ['an integer start with an exponent', 1003, (v) => `${v}e0`],
    ['an integer start with a leading +', 1005, (v) => `+${v}`],
    ['an integer start in hex', 1007, (v) => `0x${Number(v).toString(16)}`],
    ['a start as 1.7e9-style scientific notation', 1009, (v) => `${Number(v) / 1e9}e9`],
    ['a start followed by a NUL byte', 1013, (v) => `${v}\0`],
    ['a start padded past 64 characters', 1015, (v) => `${v}.`.padEnd(65, '0')],
    ['a hex float', 1021, () => '0x1.9p30'],
    ['a start one second later', 1023, (v) => String(Number(v) + 1)],
    ['a truncated start (a prefix of the one known)', 1024, (v) => v.slice(0, -5)],
    // The tags are sent comma-joined: a value holding a comma and the next key's tag must not shift them.
    ["the start, a comma and the next key's tag", 1025, (v, n) => `${v},a${n}`],
  ];

  it.each(rewrites)('%s is answered and repaired as the loop does, then the next round agrees too', async (_name, index, rewrite) => {
    const known = new RedisPanicClock(redis, { ...options, keyPrefix: KNOWN });
    const values = await seed(known);
    const written = rewrite(values[index]!, values[index + 1]!);
    for (const prefix of [KNOWN, ORACLE]) await redis.set(`${prefix}:${scopes[index]}`, written, 'KEEPTTL');
    const first = await expectSameAsLoop(known, [index, index + 1], 'the round after the write');
    await expectSameAsLoop(known, [index, index + 1], 'the round after that', first);
  });
});

describe('calm scopes on the batch fast path: answered without the loop while their keys stay missing; any write to one is judged as the loop judges it', () => {
  /** Odd scopes hold a start, even ones none (calm): the clock that knows them tags the even ones 'n'. */
  async function seedMixed(known: RedisPanicClock): Promise<Array<number | null>> {
    const now = await redisNow();
    const values = scopes.map((_, i) => (i % 2 === 1 ? String(now - 60 - i) : null));
    const batch = redis.pipeline();
    for (const prefix of [KNOWN, ORACLE]) values.forEach((value, i) => value !== null && batch.set(`${prefix}:${scopes[i]}`, value, 'EX', 86_400));
    await batch.exec();
    const expected = values.map((value) => (value === null ? null : Number(value) * 1000));
    const learnt = await known.observeMany(reads);
    expect(learnt.map((r) => r.ok && r.observation.startedAtMs)).toEqual(expected);
    return expected;
  }

  it('the steady state of a fleet half calm: one MGET and one EXISTS per 1,000 keys, no GET, nothing written, the same answers', async () => {
    const known = new RedisPanicClock(redis, { ...options, keyPrefix: KNOWN });
    const expected = await seedMixed(known);
    for (let round = 0; round < 3; round += 1) {
      const before = await commandCalls(redis);
      const results = await known.observeMany(reads);
      const delta = diffCalls(before, await commandCalls(redis));
      expect(results.map((r) => r.ok && r.observation.startedAtMs)).toEqual(expected);
      expect(results.filter((r) => r.ok && r.observation.active).length).toBe(SCOPES / 2);
      // Two chunks of 1,000 keys; the loop would have read each missing key again (GET) and the chunks twice.
      expect({ mget: delta.mget ?? 0, exists: delta.exists ?? 0, get: delta.get ?? 0 }).toEqual({ mget: 2, exists: 2, get: 0 });
      for (const write of ['set', 'del', 'expire', 'pexpire']) expect(delta[write] ?? 0, write).toBe(0);
    }
  });

  // Written to one calm key (index 1000, in the second MGET) while every other key stays as known.
  const calmWrites: Array<[name: string, write: (key: string, now: number) => Promise<unknown>]> = [
    ["another host's panic start (with expiry)", (key, now) => redis.set(key, String(now - 30), 'EX', 86_400)],
    ['a start without expiry', (key, now) => redis.set(key, String(now - 30))],
    ['a start in the far future', (key, now) => redis.set(key, String(now + 1_000_000), 'EX', 86_400)],
    ['garbage', (key) => redis.set(key, 'garbage', 'EX', 86_400)],
    ['an empty string', (key) => redis.set(key, '')],
    ['a hash (MGET answers nil, as for a missing key)', (key) => redis.hset(key, 'start', '1700000000')],
    ['a list', (key) => redis.rpush(key, '1700000000')],
  ];

  it.each(calmWrites)('%s on a calm scope is answered and left in Redis as the loop does, then the next round agrees too', async (_name, write) => {
    const known = new RedisPanicClock(redis, { ...options, keyPrefix: KNOWN });
    await seedMixed(known);
    const now = await redisNow();
    for (const prefix of [KNOWN, ORACLE]) await write(`${prefix}:${scopes[1000]}`, now);
    const first = await expectSameAsLoop(known, [1000, 1001], 'the round after the write');
    await expectSameAsLoop(known, [1000, 1001], 'the round after that', first);
  });
});

describe('three real processes refreshing the same 1,500 scopes while another process corrupts and deletes keys', () => {
  const PREFIX = 'atk:mp';
  const COUNT = 1500;
  const PROCESSES = 3;
  const { round, loopReads } = useClockRoundWorkers(() => server, () => redis, PREFIX, PROCESSES, COUNT);

  it('every process answers, in the round after each change, what the per-key loop reads; each corrupt value is repaired once', async () => {
    const now = await redisNow();
    const seeded = Array.from({ length: COUNT }, (_, i) => String(now - 60 - i));
    const batch = redis.pipeline();
    seeded.forEach((value, i) => batch.set(`${PREFIX}:s-${i}`, value, 'EX', 86_400));
    await batch.exec();
    for (const { starts } of await round()) expect(starts).toEqual(seeded.map((value) => Number(value) * 1000)); // every process learns every key
    // What another process writes, and whether the value is corrupt (then exactly one of the readers repairs it).
    type Write = [name: string, write: (key: string, value: string) => Promise<unknown>, corrupt: boolean];
    const later: Write = ['a later start', (key, value) => redis.set(key, String(Number(value) + 7), 'KEEPTTL'), false];
    const zeros: Write = ['the same start with trailing zeros', (key, value) => redis.set(key, `${value}.000`, 'KEEPTTL'), false];
    const dot: Write = ['the same start with a trailing dot', (key, value) => redis.set(key, `${value}.`, 'KEEPTTL'), true];
    const hex: Write = ['the same start in hex', (key, value) => redis.set(key, `0x${Number(value).toString(16)}`, 'KEEPTTL'), true];
    const plus: Write = ['the same start with a +', (key, value) => redis.set(key, `+${value}`, 'KEEPTTL'), true];
    const recreated: Write = ['the same start re-created without expiry', async (key, value) => redis.multi().del(key).set(key, value).exec(), false];
    const garbage: Write = ['garbage', (key) => redis.set(key, 'garbage', 'KEEPTTL'), true];
    const hash: Write = ['a hash', async (key) => redis.multi().del(key).hset(key, 'start', '1700000000').exec(), true];
    const empty: Write = ['an empty string', (key) => redis.set(key, '', 'KEEPTTL'), true];
    const deleted: Write = ['a delete', (key) => redis.del(key), false];
    // Each step's writes alone are all a round sees: the first ones leave every other key as known, so the
    // fast path's comparison alone must send the round through the loop. A delete comes last: from then on
    // that scope is known as 'none', and the fast path also checks that its key is still missing.
    const steps: Array<{ writes: Write[]; racing: boolean }> = [
      { writes: [later], racing: false },
      { writes: [zeros, recreated], racing: false },
      { writes: [dot], racing: false },
      { writes: [hex, plus], racing: false },
      { writes: [later, zeros, dot, hex, plus, recreated, garbage, hash, empty], racing: true },
      { writes: [garbage, hash, empty, later, deleted], racing: false },
    ];
    for (const [step, { writes, racing }] of steps.entries()) {
      const touched = Array.from({ length: 27 }, (_, j) => j * 55 + step);
      const corrupt = async (): Promise<number> => {
        let corrupted = 0;
        for (const [j, i] of touched.entries()) {
          const [, write, isCorrupt] = writes[j % writes.length]!;
          await write(`${PREFIX}:s-${i}`, seeded[i]!);
          if (isCorrupt) corrupted += 1;
        }
        return corrupted;
      };
      const label = `step ${step} (${writes.map(([name]) => name).join(', ')})`;
      if (racing) {
        // The writes race the round: it may see any of them, and must answer every scope; the next round must agree.
        const [answers] = await Promise.all([round(), corrupt()]);
        for (const { starts } of answers) expect(starts.filter((start) => typeof start === 'string')).toEqual([]);
      } else {
        const corrupted = await corrupt();
        const answers = await round();
        const truth = await loopReads();
        for (const [w, { starts }] of answers.entries()) expect(starts, `process ${w} in ${label}`).toEqual(truth);
        expect(answers.reduce((sum, { repaired }) => sum + repaired, 0), `repairs in ${label}`).toBe(corrupted);
      }
      const answers = await round();
      const truth = await loopReads();
      for (const [w, { starts }] of answers.entries()) expect(starts, `process ${w} after ${label}`).toEqual(truth);
      expect(answers.map(({ repaired }) => repaired), `repairs after ${label}`).toEqual(Array.from({ length: PROCESSES }, () => 0));
    }
  });
});
