import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OBSERVE_MANY_SCRIPT } from '../../src/clock/redis-scripts.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { RedisServer } from '../support/redis-server.js';
import { useClockRoundWorkers } from '../support/use-clock-round-workers.js';

// Hostile tag strings sent straight to OBSERVE_MANY_SCRIPT (no clock in between), against the fast path's
// calm tag ('n': the caller knows no key is stored). The oracle is the per-key loop: the same keys are written
// under a second prefix and the same tags sent with one more key in front, tagged 'u' (unknown), which the fast
// path always refuses, so the loop judges every key with the very tags under attack. Whatever the tags and
// keys, the two scripts must answer the same (indices shifted back by one) and leave the same keys in Redis.

const FAST = 'ct:fast';
const LOOP = 'ct:loop';
const DEADMAN = '3600';
const MAX_SKEW = '5';
const STALE_AFTER = '10';

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

/** Runs the batch script on `names` under `prefix`; `loop` puts a key tagged 'u' in front. Returns the reply, `now` replaced by 'NOW', and the EXISTS calls it made. */
async function run(prefix: string, names: readonly string[], tags: string, graceMs: string, loop: boolean): Promise<{ reply: string[]; now: string; exists: number }> {
  const keys = names.map((name) => `${prefix}:${name}`);
  if (loop) keys.unshift(`${prefix}:~front`);
  const before = await commandCalls(redis);
  const raw = (await redis.eval(OBSERVE_MANY_SCRIPT, keys.length, ...keys, '', DEADMAN, graceMs, MAX_SKEW, '', STALE_AFTER, 'r'.repeat(keys.length), loop ? `u,${tags}` : tags)) as string[];
  const delta = diffCalls(before, await commandCalls(redis));
  const now = raw[0]!;
  let entries = raw.slice(1);
  if (loop) {
    // The front key is missing and tagged 'u': the loop reports it 'none' at index 1. Drop it, shift the rest.
    expect(entries.slice(0, 2)).toEqual(['1', 'none']);
    entries = entries.slice(7).map((field, i) => (i % 7 === 0 ? String(Number(field) - 1) : field));
  }
  return { reply: entries.map((field) => (field === now ? 'NOW' : field)), now, exists: delta.exists ?? 0 };
}

/** One key as Redis holds it: type, value (the script's now as 'NOW') and whether it expires. */
async function keyState(key: string, now: string): Promise<unknown> {
  const type = await redis.type(key);
  const pttl = await redis.pttl(key);
  const value = type === 'string' ? await redis.get(key) : null;
  return { type, value: value === now ? 'NOW' : value, expires: pttl === -2 ? 'missing' : pttl === -1 ? 'never' : 'yes' };
}

type Write = (key: string) => Promise<unknown>;

/** Writes `setup` under both prefixes, runs the tags on each and expects the same reply and keys. Returns the fast run's reply and EXISTS calls. */
async function expectSameAsLoop(setup: Record<string, Write>, names: readonly string[], tags: string, graceMs = '0'): Promise<{ reply: string[]; exists: number }> {
  for (const prefix of [FAST, LOOP]) for (const [name, write] of Object.entries(setup)) await write(`${prefix}:${name}`);
  const fast = await run(FAST, names, tags, graceMs, false);
  const loop = await run(LOOP, names, tags, graceMs, true);
  expect(fast.reply, `reply to tags ${JSON.stringify(tags.slice(0, 80))}`).toEqual(loop.reply);
  for (const name of new Set([...names, ...Object.keys(setup)])) {
    expect(await keyState(`${FAST}:${name}`, fast.now), `key ${name}`).toEqual(await keyState(`${LOOP}:${name}`, loop.now));
  }
  return { reply: fast.reply, exists: fast.exists };
}

describe('hostile calm tags sent straight to the batch script: answered and left in Redis as the per-key loop does', () => {
  let v: string;
  let v2: string;
  const startWithExpiry = (value: () => string): Write => (key) => redis.set(key, value(), 'EX', 86_400);
  const startWithoutExpiry = (value: () => string): Write => (key) => redis.set(key, value());
  beforeEach(async () => {
    const now = await redisNow();
    v = String(now - 60);
    v2 = String(now - 90);
  });

  it('the steady state it attacks: a known start and a missing calm key take the fast path (one EXISTS, reply {now})', async () => {
    const { reply, exists } = await expectSameAsLoop({ a: startWithExpiry(() => v) }, ['a', 'b'], `a${v},n`);
    expect({ reply, exists }).toEqual({ reply: [], exists: 1 });
  });

  const hostileTags: Array<[name: string, setup: () => Record<string, Write>, names: string[], tags: () => string]> = [
    ["'n' followed by junk on a missing key", () => ({}), ['b'], () => 'nX'],
    ["'n' followed by junk on a key holding a start", () => ({ b: startWithExpiry(() => v) }), ['b'], () => `n${v}`],
    ["'n' followed by a NUL byte", () => ({}), ['b'], () => 'n\0'],
    ["'N' (upper case)", () => ({}), ['b'], () => 'N'],
    ["'n,' at the end", () => ({}), ['b'], () => 'n,'],
    ["'n,,' (an empty tag past the last key)", () => ({}), ['b', 'c'], () => 'n,,'],
    ['empty tags', () => ({}), ['b', 'c'], () => ''],
    ['an empty first tag', () => ({}), ['b', 'c'], () => ',n'],
    ['fewer tags than keys (calm keys)', () => ({}), ['b', 'c', 'd'], () => 'n,n'],
    ['fewer tags than keys (a start, then calm keys)', () => ({ a: startWithExpiry(() => v) }), ['a', 'b', 'c'], () => `a${v},n`],
    ['more tags than keys', () => ({}), ['b', 'c'], () => `n,n,n,a${v}`],
    ["'n' on a key holding a start with expiry", () => ({ a: startWithExpiry(() => v), b: startWithExpiry(() => v2) }), ['a', 'b'], () => `a${v},n`],
    ["'n' on a key holding a start without expiry", () => ({ a: startWithExpiry(() => v), b: startWithoutExpiry(() => v2) }), ['a', 'b'], () => `a${v},n`],
    ["a value holding a comma and the next key's tag", () => ({ a: startWithExpiry(() => `${v},n`) }), ['a', 'b'], () => `a${v},n`],
    ["a value holding a comma, one key, the tags 'a<start>,n'", () => ({ a: startWithExpiry(() => `${v},n`) }), ['a'], () => `a${v},n`],
    ['the same missing key twice, both calm', () => ({}), ['b', 'b'], () => 'n,n'],
    ["the same key twice, 'a<start>' then 'n'", () => ({ a: startWithExpiry(() => v) }), ['a', 'a'], () => `a${v},n`],
    ["the same missing key twice, 'n' then 'a<start>'", () => ({}), ['b', 'b'], () => `n,a${v}`],
    ["'A' on a start without expiry next to a calm key", () => ({ a: startWithoutExpiry(() => v) }), ['a', 'b'], () => `A${v},n`],
    ["'A' on a start with expiry next to a calm key on a start", () => ({ a: startWithExpiry(() => v), b: startWithExpiry(() => v2) }), ['a', 'b'], () => `A${v},n`],
  ];

  it.each(hostileTags)('%s', async (_name, setup, names, tags) => {
    await expectSameAsLoop(setup(), names, tags());
  });

  const calmKeyWrites: Array<[name: string, write: Write]> = [
    ['garbage', (key) => redis.set(key, 'garbage')],
    ['an empty string', (key) => redis.set(key, '')],
    ['an empty string with expiry', (key) => redis.set(key, '', 'EX', 86_400)],
    ['a hash', (key) => redis.hset(key, 'start', '1700000000')],
    ['a list', (key) => redis.rpush(key, '1700000000')],
    ['a set', (key) => redis.sadd(key, '1700000000')],
    ['a sorted set', (key) => redis.zadd(key, 1, '1700000000')],
    ['a stream', (key) => redis.xadd(key, '*', 'start', '1700000000')],
    ['a string that expires in a minute', (key) => redis.set(key, '1700000000', 'PX', 60_000)],
    ['a hash that expires in a minute', async (key) => redis.multi().hset(key, 'f', 'x').pexpire(key, 60_000).exec()],
  ];

  it.each(calmKeyWrites)("a calm key ('n') holding %s, next to a known start and a calm key still missing", async (_name, write) => {
    const { reply } = await expectSameAsLoop({ a: startWithExpiry(() => v), b: write }, ['a', 'b', 'c'], `a${v},n,n`);
    expect(reply.length, 'the key is reported').toBeGreaterThan(0);
  });

  it("a calm key whose key expired before the round (string and hash) takes the fast path, as the loop reads it missing", async () => {
    const expiring: Write = async (key) => redis.multi().set(`${key}:s`, '1700000000', 'PX', 5).hset(`${key}:h`, 'f', 'x').pexpire(`${key}:h`, 5).exec();
    for (const prefix of [FAST, LOOP]) await expiring(`${prefix}:x`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { reply, exists } = await expectSameAsLoop({ a: startWithExpiry(() => v) }, ['a', 'x:s', 'x:h'], `a${v},n,n`);
    expect({ reply, exists }).toEqual({ reply: [], exists: 1 });
  });

  it('calm grace (graceMs > 0) never takes the fast path, and answers as the loop does', async () => {
    const { reply, exists } = await expectSameAsLoop({ a: startWithExpiry(() => v) }, ['a', 'b'], `a${v},n`, '500');
    expect({ reply, exists }).toEqual({ reply: [], exists: 0 });
  });
});

describe('calm keys over several MGET chunks (2,500 keys, one script)', () => {
  const COUNT = 2500;
  const names = Array.from({ length: COUNT }, (_, i) => `s-${i}`);
  const allCalm = names.map(() => 'n').join(',');

  it('every key calm and missing: one EXISTS per chunk, reply {now}', async () => {
    const { reply, exists } = await expectSameAsLoop({}, names, allCalm);
    expect({ reply, exists }).toEqual({ reply: [], exists: 3 });
  });

  const writes: Array<[name: string, index: number, write: Write]> = [
    ['a start in the second chunk', 1500, (key) => redis.set(key, '1700000000', 'EX', 86_400)],
    ['a start on the first key of the second chunk', 1000, (key) => redis.set(key, '1700000000')],
    ['a stream on the last key of the third chunk', 2499, (key) => redis.xadd(key, '*', 'f', 'x')],
    ['an empty string on the last key of the first chunk', 999, (key) => redis.set(key, '')],
  ];

  it.each(writes)('%s is judged as the loop does', async (_name, index, write) => {
    const { reply } = await expectSameAsLoop({ [names[index]!]: write }, names, allCalm);
    expect(reply[0]).toBe(String(index + 1));
  });
});

describe('three real processes that know 1,500 scopes calm while another process writes to their keys', () => {
  const PREFIX = 'ct:mp';
  const COUNT = 1500;
  const { round, loopReads } = useClockRoundWorkers(() => server, () => redis, PREFIX, 3, COUNT);

  it('every process answers, in the round after each write, what the per-key loop reads; each corrupt value is repaired once', async () => {
    for (const { starts } of await round()) expect(starts).toEqual(Array.from({ length: COUNT }, () => null)); // every process learns every scope calm
    const now = await redisNow();
    type Write = [name: string, write: (key: string) => Promise<unknown>, corrupt: boolean];
    const writes: Write[] = [
      ['a start', (key) => redis.set(key, String(now - 30), 'EX', 86_400), false],
      ['a start without expiry', (key) => redis.set(key, String(now - 40)), false],
      ['garbage', (key) => redis.set(key, 'garbage'), true],
      ['an empty string', (key) => redis.set(key, ''), true],
      ['a hash', (key) => redis.hset(key, 'start', '1700000000'), true],
      ['a list', (key) => redis.rpush(key, '1700000000'), true],
      ['a set', (key) => redis.sadd(key, '1700000000'), true],
      ['a sorted set', (key) => redis.zadd(key, 1, '1700000000'), true],
      ['a stream', (key) => redis.xadd(key, '*', 'f', 'x'), true],
    ];
    // One kind of write per step, alone (a string value sends the round through the loop whatever else holds, so
    // a key of another type must be caught by the fast path's own check), on 27 keys spread over both MGET chunks.
    for (const [step, [name, write, isCorrupt]] of writes.entries()) {
      const touched = Array.from({ length: 27 }, (_, j) => j * 55 + step);
      for (const i of touched) await write(`${PREFIX}:s-${i}`);
      const corrupted = isCorrupt ? touched.length : 0;
      const answers = await round();
      const truth = await loopReads();
      for (const [w, { starts }] of answers.entries()) expect(starts, `process ${w} after ${name}`).toEqual(truth);
      expect(answers.reduce((sum, { repaired }) => sum + repaired, 0), `repairs of ${name}`).toBe(corrupted);
      const again = await round();
      for (const [w, { starts }] of again.entries()) expect(starts, `process ${w} in the round after ${name}`).toEqual(await loopReads());
      expect(again.map(({ repaired }) => repaired)).toEqual(Array.from({ length: 3 }, () => 0));
      await redis.del(...touched.map((i) => `${PREFIX}:s-${i}`)); // calm again: the next step writes to keys known 'n'
      for (const { starts } of await round()) expect(starts).toEqual(Array.from({ length: COUNT }, () => null));
    }
  });
});
