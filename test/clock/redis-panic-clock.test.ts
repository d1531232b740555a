import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidConfigError, InvalidInputError, RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { RedisServer } from '../support/redis-server.js';

const KEY = 'brain:panic_start_ts';
let server: RedisServer;
let redis: Redis;
let clock: RedisPanicClock;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = server.client();
  clock = new RedisPanicClock(redis, { timeoutMs: 1000 });
});
afterAll(async () => server.stop());
beforeEach(async () => {
  await redis.flushall();
});

async function redisNowSeconds(): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) + Number(us) / 1e6;
}

describe('first writer wins', () => {
  it('a first panic observation stores now as Unix seconds in a decimal string, with a 24 h expiry', async () => {
    const before = await redisNowSeconds();
    const obs = await clock.observe(undefined, 'panic');
    const raw = await redis.get(KEY);
    expect(raw).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(raw)).toBeGreaterThanOrEqual(before - 0.001);
    expect(obs).toMatchObject({ active: true, created: true, repaired: null });
    expect(obs.startedAtMs).toBeCloseTo(Number(raw) * 1000, 0);
    expect(await redis.ttl(KEY)).toBeGreaterThan(86_390);
  });

  it('later observations keep the first start', async () => {
    const first = await clock.observe(undefined, 'panic');
    const second = await clock.observe(undefined, 'panic');
    expect(second.created).toBe(false);
    expect(second.startedAtMs).toBe(first.startedAtMs);
    expect(second.clockNowMs).toBeGreaterThanOrEqual(first.clockNowMs);
  });

  it('a named scope lives under <prefix>:<scope>, apart from the global one', async () => {
    await clock.observe('ligue-1', 'panic');
    expect(await redis.exists(`${KEY}:ligue-1`)).toBe(1);
    expect(await redis.exists(KEY)).toBe(0);
    expect(clock.keyFor('match:42')).toBe(`${KEY}:match:42`);
    expect(clock.keyFor()).toBe(KEY);
    expect(clock.keyFor('global')).toBe(KEY);
  });

  it('the key prefix is configurable', async () => {
    const custom = new RedisPanicClock(redis, { keyPrefix: '{vix}:panic' });
    await custom.observe('ucl', 'panic');
    expect(await redis.exists('{vix}:panic:ucl')).toBe(1);
  });
});

describe('the duration is measured on Redis TIME', () => {
  it('a start written the Python way, 45 minutes ago, gives tier 2 / TTL 5 for Ligue 1', async () => {
    const pythonValue = execFileSync('python3', ['-c', 'import time; print(str(time.time() - 45 * 60))']).toString().trim();
    await redis.set(KEY, pythonValue, 'EX', 86_400);
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 1000 });
    const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });
    expect(decision).toMatchObject({ ttl: 5, tier: 2, mode: 'PANIC_PARTIAL', importance: 'medium_stakes', failSafe: false });
    expect(decision.panicDurationMin).toBeGreaterThan(44.9);
    expect(decision.panicDurationMin).toBeLessThan(45.2);
    expect(await redis.get(KEY)).toBe(pythonValue);
  });

  it('an integer start (as some writers store it) is read too', async () => {
    await redis.set(KEY, String(Math.floor((await redisNowSeconds()) - 100 * 60)));
    const obs = await clock.observe(undefined, 'panic');
    expect((obs.clockNowMs - obs.startedAtMs!) / 60_000).toBeGreaterThan(99.9);
  });
});

describe('dead man\'s switch', () => {
  it('each panic observation refreshes the 24 h expiry', async () => {
    await clock.observe(undefined, 'panic');
    await redis.expire(KEY, 100);
    await clock.observe(undefined, 'panic');
    expect(await redis.ttl(KEY)).toBeGreaterThan(86_390);
  });

  it('the expiry is configurable', async () => {
    const short = new RedisPanicClock(redis, { deadManSwitchSeconds: 600 });
    await short.observe(undefined, 'panic');
    expect(await redis.ttl(KEY)).toBeLessThanOrEqual(600);
  });
});

describe('panic end', () => {
  it('a calm observation deletes the key', async () => {
    await clock.observe(undefined, 'panic');
    const obs = await clock.observe(undefined, 'calm');
    expect(obs.active).toBe(false);
    expect(await redis.exists(KEY)).toBe(0);
  });

  it('a calm observation without a panic changes nothing', async () => {
    const obs = await clock.observe(undefined, 'calm');
    expect(obs).toMatchObject({ active: false, startedAtMs: null, created: false });
  });

  it('after calm, the next panic starts again at tier 1', async () => {
    await redis.set(KEY, String((await redisNowSeconds()) - 3600));
    await clock.observe(undefined, 'calm');
    const obs = await clock.observe(undefined, 'panic');
    expect(obs.created).toBe(true);
    expect(obs.clockNowMs - obs.startedAtMs!).toBeLessThan(1000);
  });

  it('with calmGraceSeconds, calm keeps the start for the grace and a returning panic continues', async () => {
    const graceful = new RedisPanicClock(redis, { calmGraceSeconds: 30 });
    const first = await graceful.observe(undefined, 'panic');
    const calm = await graceful.observe(undefined, 'calm');
    expect(calm.active).toBe(false);
    expect(await redis.exists(KEY)).toBe(1);
    expect(await redis.pttl(KEY)).toBeLessThanOrEqual(30_000);
    expect((await graceful.observe(undefined, 'read')).active).toBe(false);
    expect((await graceful.inspect()).inGrace).toBe(true);
    await graceful.observe(undefined, 'calm');
    expect(await redis.pttl(KEY)).toBeLessThanOrEqual(30_000);
    const again = await graceful.observe(undefined, 'panic');
    expect(again).toMatchObject({ active: true, created: false, startedAtMs: first.startedAtMs });
    expect(await redis.ttl(KEY)).toBeGreaterThan(86_390);
  });

  it('rejects a grace as long as the dead man\'s switch', () => {
    expect(() => new RedisPanicClock(redis, { calmGraceSeconds: 600, deadManSwitchSeconds: 600 })).toThrow(InvalidConfigError);
  });
});

describe('compare-and-delete: a slow worker cannot delete a newer panic', () => {
  it('a calm seen before a new panic began, but arriving after it, leaves the new start', async () => {
    const slow = delayedClient(server.client());
    const slowClock = new RedisPanicClock(slow.client, { timeoutMs: 2000 });
    await slowClock.observe(undefined, 'read'); // learns Redis's clock
    slow.delayMs = 300;
    const lateCalm = slowClock.observe(undefined, 'calm');
    await new Promise((r) => setTimeout(r, 100));
    const newer = await clock.observe(undefined, 'panic');
    const calm = await lateCalm;
    expect(calm.active).toBe(true);
    expect(calm.startedAtMs).toBe(newer.startedAtMs);
    expect(await redis.exists(KEY)).toBe(1);
  });

  it('a calm issued after the start deletes it, even when it arrives late', async () => {
    const slow = delayedClient(server.client());
    const slowClock = new RedisPanicClock(slow.client, { timeoutMs: 2000 });
    await clock.observe(undefined, 'panic');
    await slowClock.observe(undefined, 'read');
    slow.delayMs = 200;
    expect((await slowClock.observe(undefined, 'calm')).active).toBe(false);
    expect(await redis.exists(KEY)).toBe(0);
  });

  it('a panic observation that waited past its staleness bound in a queue does not start a panic', async () => {
    const slow = delayedClient(server.client());
    const slowClock = new RedisPanicClock(slow.client, { timeoutMs: 50 });
    await slowClock.observe(undefined, 'read');
    slow.delayMs = 1300;
    await expect(slowClock.observe(undefined, 'panic')).rejects.toThrow(/within 50 ms/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await redis.exists(KEY)).toBe(0);
  });
});

describe('corrupt values are repaired, never thrown', () => {
  const corrupt: Array<[string, (r: Redis) => Promise<unknown>, string]> = [
    ['"garbage"', (r) => r.set(KEY, 'garbage'), 'unparsable'],
    ['""', (r) => r.set(KEY, ''), 'unparsable'],
    ['"-5"', (r) => r.set(KEY, '-5'), 'implausible'],
    ['"0"', (r) => r.set(KEY, '0'), 'implausible'],
    ['"nan"', (r) => r.set(KEY, 'nan'), 'unparsable'],
    ['"inf"', (r) => r.set(KEY, 'inf'), 'unparsable'],
    ['a hex float "0x1.9p30"', (r) => r.set(KEY, '0x1.9p30'), 'unparsable'],
    ['a far-future value', (r) => r.set(KEY, String(Date.now() / 1000 + 10 * 365 * 86_400)), 'future'],
    ['a hash at the key', (r) => r.hset(KEY, 'start', '1700000000'), 'wrong_type'],
    ['a list at the key', (r) => r.rpush(KEY, '1700000000'), 'wrong_type'],
  ];

  for (const [name, write, reason] of corrupt) {
    it(`${name}: a panic decision is TTL 0, fail-safe, and the key holds a fresh start`, async () => {
      await write(redis);
      const repairs: string[] = [];
      const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 1000, hooks: { onRepair: (e) => repairs.push(e.corrupt.reason) } });
      const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });
      expect(decision).toMatchObject({ ttl: 0, tier: 1, mode: 'PANIC_FULL', failSafe: true, reason: 'corrupt_value_repaired' });
      expect(repairs).toEqual([reason]);
      expect(await redis.type(KEY)).toBe('string');
      expect(Number(await redis.get(KEY))).toBeCloseTo(await redisNowSeconds(), 0);
      const next = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });
      expect(next).toMatchObject({ ttl: 0, tier: 1, failSafe: false });
    });
  }

  it('a corrupt value on a calm observation is deleted and reported', async () => {
    await redis.hset(KEY, 'x', '1');
    const obs = await clock.observe(undefined, 'calm');
    expect(obs).toMatchObject({ active: false, repaired: { reason: 'wrong_type', raw: 'hash' } });
    expect(await redis.exists(KEY)).toBe(0);
  });

  it('inspect reports a corrupt value without touching it', async () => {
    await redis.set(KEY, 'garbage', 'EX', 500);
    const view = await clock.inspect();
    expect(view).toMatchObject({ active: false, corrupt: { reason: 'unparsable', raw: 'garbage' }, raw: 'garbage' });
    expect(await redis.get(KEY)).toBe('garbage');
  });
});

describe('inspect, startPanic, reset', () => {
  it('inspect shows start, duration and expiry of a running panic', async () => {
    await clock.startPanic('ucl', { ageMs: 100 * 60_000 });
    const view = await clock.inspect('ucl');
    expect(view).toMatchObject({ scope: 'ucl', location: `${KEY}:ucl`, active: true, inGrace: false, corrupt: null });
    expect(view.durationMs! / 60_000).toBeGreaterThan(99.9);
    expect(view.expiresInMs).toBeGreaterThan(86_000_000);
  });

  it('inspect of a scope without panic', async () => {
    expect(await clock.inspect('ucl')).toMatchObject({ active: false, startedAtMs: null, durationMs: null, raw: null });
  });

  it('startPanic overwrites, reset deletes and tells whether there was a panic', async () => {
    await redis.set(KEY, 'garbage');
    await clock.startPanic(undefined, { ageMs: 0 });
    expect((await clock.inspect()).active).toBe(true);
    expect(await clock.reset()).toBe(true);
    expect(await clock.reset()).toBe(false);
  });

  it('rejects a negative drill age', async () => {
    await expect(clock.startPanic(undefined, { ageMs: -1 })).rejects.toThrow(InvalidInputError);
  });
});

describe('validation at the edge', () => {
  it('scope names are validated', async () => {
    for (const bad of ['has space', 'x'.repeat(65), 'émoji', 'a/b', 42]) {
      await expect(clock.observe(bad as string, 'panic')).rejects.toThrow(InvalidInputError);
    }
    expect(await redis.dbsize()).toBe(0);
  });

  it('options are validated, naming the field', () => {
    const cases: Array<[object, string]> = [
      [{ timeoutMs: 0 }, 'RedisPanicClock.timeoutMs'],
      [{ keyPrefix: 'has space' }, 'RedisPanicClock.keyPrefix'],
      [{ deadManSwitchSeconds: -1 }, 'RedisPanicClock.deadManSwitchSeconds'],
      [{ calmGraceSeconds: -1 }, 'RedisPanicClock.calmGraceSeconds'],
      [{ timeoutMS: 50 }, 'RedisPanicClock'],
    ];
    for (const [options, field] of cases) {
      try {
        new RedisPanicClock(redis, options as never);
        expect.unreachable(`accepted ${JSON.stringify(options)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe(field);
      }
    }
  });

  it('refuses something that is not an ioredis client', () => {
    expect(() => new RedisPanicClock({} as never)).toThrow(/ioredis/);
  });
});

/** A real client whose commands can be held back before they are sent: a slow worker. */
function delayedClient(client: Redis): { client: Redis; delayMs: number } {
  const control = { delayMs: 0, client: client };
  control.client = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'evalsha' && prop !== 'eval') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        if (control.delayMs > 0) await new Promise((r) => setTimeout(r, control.delayMs));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return control;
}
