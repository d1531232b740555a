import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigError, RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { panicClockContract } from '../contracts/panic-clock.contract.js';
import { RedisServer } from '../support/redis-server.js';
import { advanceRedis } from '../support/redis-time-machine.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { monotonicNow } from '../../src/core/monotonic-now.js';
import { OBSERVE_MANY_SCRIPT } from '../../src/clock/redis-scripts.js';

function scripts(delta: Record<string, number>): number {
  return (delta.evalsha ?? 0) + (delta.eval ?? 0);
}

const KEY = 'brain:panic_start_ts';
let server: RedisServer;
let redis: Redis;
let clock: RedisPanicClock;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = server.client();
  clock = new RedisPanicClock(redis, { timeoutMs: 5000 });
});
afterAll(async () => server.stop());
beforeEach(async () => {
  await redis.flushall();
});

panicClockContract('RedisPanicClock', {
  clock: (options) => new RedisPanicClock(redis, { timeoutMs: 5000, ...options }),
  advance: (ms) => advanceRedis(redis, ms, (value) => (Number(value) >= 1e9 ? (Number(value) - ms / 1000).toFixed(6) : null)),
  reset: async () => void (await redis.flushall()),
  corrupt: async (scope, name) => {
    const key = scope === undefined ? KEY : `${KEY}:${scope}`;
    const values: Record<string, () => Promise<unknown>> = {
      garbage: () => redis.set(key, 'garbage'),
      empty: () => redis.set(key, ''),
      nan: () => redis.set(key, 'nan'),
      negative: () => redis.set(key, '-5'),
      zero: () => redis.set(key, '0'),
      infinite: () => redis.set(key, 'inf'),
      'hex float': () => redis.set(key, '0x1.9p30'),
      'far future': async () => redis.set(key, String((await redisNowSeconds()) + 10 * 365 * 86_400)),
      'a hash': () => redis.hset(key, 'start', '1700000000'),
      'a list': () => redis.rpush(key, '1700000000'),
    };
    await values[name]!();
  },
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

  it('a named scope lives under <prefix>:<scope>, apart from the global one', async () => {
    await clock.observe('ligue-1', 'panic');
    expect(await redis.exists(`${KEY}:ligue-1`)).toBe(1);
    expect(await redis.exists(KEY)).toBe(0);
    expect(clock.keyFor('match:42')).toBe(`${KEY}:match:42`);
    expect(clock.keyFor()).toBe(KEY);
    expect(clock.keyFor('global')).toBe(KEY);
  });

  it('the key prefix is configurable', async () => {
    const custom = new RedisPanicClock(redis, { keyPrefix: '{vix}:panic', timeoutMs: 5000 });
    await custom.observe('ucl', 'panic');
    expect(await redis.exists('{vix}:panic:ucl')).toBe(1);
  });
});

describe('the duration is measured on Redis TIME', () => {
  it('a start written the Python way, 45 minutes ago, gives tier 2 / TTL 5 for Ligue 1', async () => {
    const pythonValue = execFileSync('python3', ['-c', 'import time; print(str(time.time() - 45 * 60))']).toString().trim();
    await redis.set(KEY, pythonValue, 'EX', 86_400);
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 5000 });
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
    const short = new RedisPanicClock(redis, { deadManSwitchSeconds: 600, timeoutMs: 5000 });
    await short.observe(undefined, 'panic');
    expect(await redis.ttl(KEY)).toBeLessThanOrEqual(600);
  });
});

describe('compare-and-delete: a slow worker cannot delete a newer panic', () => {
  // A slow worker is a real client whose commands are held back until the test releases them, so the
  // order of events is the test's, not the scheduler's. The gaps of 1 s are far above the error of a
  // clock offset learned on a loopback round trip.
  it('a calm seen before a new panic began, but arriving after it, leaves the new start', async () => {
    const slow = heldClient(server.client());
    const slowClock = new RedisPanicClock(slow.client, { timeoutMs: 5000 });
    await learnRedisClock(slowClock);
    slow.hold();
    const lateCalm = slowClock.observe(undefined, 'calm');
    await sleep(1000);
    const newer = await clock.observe(undefined, 'panic');
    slow.release();
    const calm = await lateCalm;
    expect(calm.active).toBe(true);
    expect(calm.startedAtMs).toBe(newer.startedAtMs);
    expect(await redis.exists(KEY)).toBe(1);
  });

  it('a calm issued after the start deletes it, even when it arrives late', async () => {
    const slow = heldClient(server.client());
    const slowClock = new RedisPanicClock(slow.client, { timeoutMs: 5000 });
    await clock.observe(undefined, 'panic');
    await learnRedisClock(slowClock);
    await sleep(1000);
    slow.hold();
    const lateCalm = slowClock.observe(undefined, 'calm');
    await sleep(200);
    slow.release();
    expect((await lateCalm).active).toBe(false);
    expect(await redis.exists(KEY)).toBe(0);
  });

  it('a panic observation that waited past its staleness bound in a queue does not start a panic', async () => {
    const slow = heldClient(server.client());
    const slowClock = new RedisPanicClock(slow.client, { timeoutMs: 100 }); // stale after max(1 s, 20 × 100 ms) = 2 s
    await learnRedisClock(slowClock);
    slow.hold();
    await expect(slowClock.observe(undefined, 'panic')).rejects.toThrow(/within 100 ms/);
    await sleep(2500);
    slow.release();
    await slow.settled();
    expect(await redis.exists(KEY)).toBe(0);
  });
});

describe('a batched calm or panic is judged by when it was seen (issuedAtMs), as observe judges its own call', () => {
  it('a calm seen before a new panic began, sent in a batch after it, leaves the new start; one stamped in the future counts as sent now', async () => {
    const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000 });
    await learnRedisClock(batchClock);
    await clock.observe('x', 'panic');
    await clock.observe('x', 'calm');
    const seenMs = monotonicNow(); // the calm is seen; it then waits behind a batch in flight
    await sleep(1000);
    const newer = await clock.observe('x', 'panic');
    const [calm] = await batchClock.observeMany!([{ scope: 'x', kind: 'calm', issuedAtMs: seenMs }]);
    expect(calm).toMatchObject({ ok: true, observation: { active: true, startedAtMs: newer.startedAtMs } });
    expect(await redis.exists(`${KEY}:x`)).toBe(1);
    const [future] = await batchClock.observeMany!([{ scope: 'x', kind: 'calm', issuedAtMs: monotonicNow() + 3_600_000 }]);
    expect(future).toMatchObject({ ok: true, observation: { active: false } });
    expect(await redis.exists(`${KEY}:x`)).toBe(0);
    // A stamp that is no time at all counts as the call's time too: a panic then writes, a calm then ends it.
    for (const issuedAtMs of [Number.NaN, Number.NEGATIVE_INFINITY, '1' as unknown as number]) {
      const [panic] = await batchClock.observeMany!([{ scope: 'x', kind: 'panic', issuedAtMs }]);
      expect(panic, String(issuedAtMs)).toMatchObject({ ok: true, observation: { active: true, created: true } });
      const [ended] = await batchClock.observeMany!([{ scope: 'x', kind: 'calm', issuedAtMs }]);
      expect(ended, String(issuedAtMs)).toMatchObject({ ok: true, observation: { active: false } });
    }
  });

  it('a panic seen longer ago than the staleness bound only reads; the others of the same script write', async () => {
    const batchClock = new RedisPanicClock(redis, { timeoutMs: 100 }); // stale after max(1 s, 20 × 100 ms) = 2 s
    await learnRedisClock(batchClock);
    const results = await batchClock.observeMany!([
      { scope: 'old', kind: 'panic', issuedAtMs: monotonicNow() - 60_000 },
      { scope: 'fresh', kind: 'panic', issuedAtMs: monotonicNow() },
      { scope: 'unstamped', kind: 'panic' },
    ]);
    expect(results.map((r) => r.ok && r.observation.active)).toEqual([false, true, true]);
    expect(await redis.exists(`${KEY}:old`)).toBe(0);
    expect(await redis.exists(`${KEY}:fresh`, `${KEY}:unstamped`)).toBe(2);
  });
});

describe('a wall-clock step (NTP, a VM resumed) does not move the clock\'s idea of Redis TIME', () => {
  it('after Date.now steps back 10 minutes, a panic (alone or in a batch) still writes its start, and a calm still ends one', async () => {
    const stepped = new RedisPanicClock(redis, { timeoutMs: 5000 });
    await learnRedisClock(stepped);
    const wall = Date.now.bind(Date);
    const step = vi.spyOn(Date, 'now').mockImplementation(() => wall() - 600_000);
    try {
      expect(await stepped.observe('single', 'panic')).toMatchObject({ active: true, created: true });
      const [batch] = await stepped.observeMany!([{ scope: 'batch', kind: 'panic' }]);
      expect(batch).toMatchObject({ ok: true, observation: { active: true, created: true } });
      expect(await redis.exists(`${KEY}:single`, `${KEY}:batch`)).toBe(2);
      step.mockImplementation(() => wall() + 600_000); // and forward: a calm still ends the panic it saw
      expect(await stepped.observe('single', 'calm')).toMatchObject({ active: false });
      expect(await redis.exists(`${KEY}:single`)).toBe(0);
    } finally {
      step.mockRestore();
    }
  });
});

describe('a read that repairs a corrupt start leaves it an expiry', () => {
  it('a corrupt value without a TTL, read alone or in a batch, gets the dead man\'s switch; one with a TTL keeps it', async () => {
    const repairing = new RedisPanicClock(redis, { timeoutMs: 5000, deadManSwitchSeconds: 3600 });
    await redis.set(`${KEY}:single`, 'not-a-number');
    await redis.set(`${KEY}:batch`, 'not-a-number');
    await redis.set(`${KEY}:future`, String((await redisNowSeconds()) + 10 * 365 * 86_400));
    await redis.set(`${KEY}:kept`, 'not-a-number', 'EX', 100);
    expect((await repairing.observe('single', 'read')).repaired?.reason).toBe('unparsable');
    const results = await repairing.observeMany!(['batch', 'future', 'kept'].map((scope) => ({ scope, kind: 'read' as const })));
    expect(results.map((r) => r.ok && r.observation.repaired?.reason)).toEqual(['unparsable', 'future', 'unparsable']);
    for (const scope of ['single', 'batch', 'future']) {
      const ttl = await redis.ttl(`${KEY}:${scope}`);
      expect(ttl, scope).toBeGreaterThan(3500);
      expect(ttl, scope).toBeLessThanOrEqual(3600);
    }
    const kept = await redis.ttl(`${KEY}:kept`);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100);
  });
});

describe('observeMany on Redis', () => {
  it('2,500 scopes with maxKeysPerScript 1,000 are 3 scripts, each scope answered as observe would', async () => {
    const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000, maxKeysPerScript: 1000 });
    await batchClock.observe('warm-up', 'read'); // learns Redis's time first
    const scopes = Array.from({ length: 2500 }, (_, i) => `m-${i}`);
    const before = await commandCalls(redis);
    const started = await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
    expect(scripts(diffCalls(before, await commandCalls(redis)))).toBe(3);
    expect(started.every((r) => r.ok && r.observation.created && r.observation.active)).toBe(true);
    expect(await redis.exists(`${KEY}:m-0`, `${KEY}:m-1999`, `${KEY}:m-2499`)).toBe(3);
    const again = await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'read' as const })));
    expect(again.map((r) => r.ok && r.observation.startedAtMs)).toEqual(started.map((r) => r.ok && r.observation.startedAtMs));
  });

  it('a round of 2,500 keys reads their values with one MGET per 1,000 keys, not one GET per key; a missing key and one of another type are still told apart', async () => {
    const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000, maxKeysPerScript: 2500 });
    const scopes = Array.from({ length: 2500 }, (_, i) => `m-${i}`);
    await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
    const before = await commandCalls(redis);
    const reads = await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'read' as const })));
    const delta = diffCalls(before, await commandCalls(redis));
    expect(reads.every((r) => r.ok && r.observation.active)).toBe(true);
    expect(delta.mget).toBe(3);
    expect(delta.get ?? 0).toBe(0);
    await redis.del(`${KEY}:m-1`);
    await redis.del(`${KEY}:m-2`);
    await redis.hset(`${KEY}:m-2`, 'start', '1700000000');
    const [kept, gone, wrongType] = await batchClock.observeMany!(['m-0', 'm-1', 'm-2'].map((scope) => ({ scope, kind: 'read' as const })));
    expect(kept).toMatchObject({ ok: true, observation: { active: true } });
    expect(gone).toMatchObject({ ok: true, observation: { active: false, startedAtMs: null } });
    expect(wrongType).toMatchObject({ ok: true, observation: { active: true, created: true, repaired: { reason: 'wrong_type' } } });
  });

  it('in one call, a key a former entry wrote is read again: a panic ended by a calm and started again has a new start, a repaired value is seen repaired', async () => {
    const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000 });
    const old = ((await redisNowSeconds()) - 3600).toFixed(6);
    await redis.set(`${KEY}:x`, old, 'EX', 86_400);
    await redis.set(`${KEY}:y`, 'garbage');
    const [calm, panic, repaired, readAfter] = await batchClock.observeMany!([
      { scope: 'x', kind: 'calm' },
      { scope: 'x', kind: 'panic' },
      { scope: 'y', kind: 'read' },
      { scope: 'y', kind: 'read' },
    ]);
    expect(calm).toMatchObject({ ok: true, observation: { active: false } });
    expect(panic).toMatchObject({ ok: true, observation: { active: true, created: true } });
    expect(panic!.ok && panic!.observation.startedAtMs).toBeGreaterThan(Number(old) * 1000 + 3_000_000);
    expect(repaired).toMatchObject({ ok: true, observation: { created: true, repaired: { reason: 'unparsable' } } });
    expect(readAfter).toMatchObject({ ok: true, observation: { active: true, created: false, repaired: null } });
    expect(readAfter!.ok && readAfter!.observation.startedAtMs).toBe(repaired!.ok && repaired!.observation.startedAtMs);
  });

  it('a start written by another writer between two calls is read (Python form, or an integer), never the one the clock saw before', async () => {
    const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000 });
    const [first] = await batchClock.observeMany!([{ scope: 'x', kind: 'panic' }]);
    expect(first).toMatchObject({ ok: true, observation: { created: true } });
    const earlier = ((await redisNowSeconds()) - 45 * 60).toFixed(9);
    await redis.set(`${KEY}:x`, earlier, 'KEEPTTL');
    const [python] = await batchClock.observeMany!([{ scope: 'x', kind: 'read' }]);
    expect(python).toMatchObject({ ok: true, observation: { active: true, startedAtMs: Number(earlier) * 1000 } });
    await redis.set(`${KEY}:x`, String(Math.floor(Number(earlier))), 'KEEPTTL');
    const [integer] = await batchClock.observeMany!([{ scope: 'x', kind: 'panic' }]);
    expect(integer).toMatchObject({ ok: true, observation: { active: true, startedAtMs: Math.floor(Number(earlier)) * 1000 } });
    await redis.del(`${KEY}:x`);
    const [gone] = await batchClock.observeMany!([{ scope: 'x', kind: 'read' }]);
    expect(gone).toMatchObject({ ok: true, observation: { active: false, startedAtMs: null } });
  });

  describe('a round whose keys all still hold the starts the clock knows (the batch script\'s fast path) is answered as observe would answer each', () => {
    it('a read of a key in the calm grace is not a running panic, though its value is the one the clock knows', async () => {
      const a = new RedisPanicClock(redis, { timeoutMs: 5000, calmGraceSeconds: 30 });
      const b = new RedisPanicClock(redis, { timeoutMs: 5000, calmGraceSeconds: 30 });
      const [started] = await a.observeMany!([{ scope: 'x', kind: 'panic' }, { scope: 'y', kind: 'panic' }]);
      expect(started).toMatchObject({ ok: true, observation: { active: true, created: true } });
      expect(await b.observe('x', 'calm')).toMatchObject({ active: false });
      const stored = await redis.get(`${KEY}:x`);
      const [x, y] = await a.observeMany!([{ scope: 'x', kind: 'read' }, { scope: 'y', kind: 'read' }]);
      expect(await redis.get(`${KEY}:x`)).toBe(stored); // the value a knows, unchanged: only its expiry says grace
      expect(x).toMatchObject({ ok: true, observation: { active: false } });
      expect(y).toMatchObject({ ok: true, observation: { active: true, startedAtMs: started!.ok ? started!.observation.startedAtMs : -1 } });
    });

    it('a start the caller says it knows is never exempt from the checks: equal to it, a future, implausible or NaN start is still repaired', async () => {
      const future = ((await redisNowSeconds()) + 10 * 365 * 86_400).toFixed(6);
      const values = { f: future, i: '5.000000', n: 'nan' };
      for (const [scope, value] of Object.entries(values)) await redis.set(`${KEY}:${scope}`, value, 'EX', 86_400);
      await redis.set(`${KEY}:ok`, ((await redisNowSeconds()) - 60).toFixed(6), 'EX', 86_400);
      for (const scope of Object.keys(values)) {
        const scopes = ['ok', scope]; // every other key unchanged: only this one can make the round leave the fast path
        const tags = await Promise.all(scopes.map(async (name) => `a${await redis.get(`${KEY}:${name}`)}`));
        const reply = (await redis.eval(OBSERVE_MANY_SCRIPT, scopes.length, ...scopes.map((name) => `${KEY}:${name}`), '', '86400', '0', '300', '', '60', 'rr', tags.join(','))) as string[];
        expect(reply.length).toBe(8); // now, then the one key that differs
        expect([reply[1], reply[5]]).toEqual(['2', { f: 'future', i: 'implausible', n: 'unparsable' }[scope]]);
        expect(await redis.get(`${KEY}:${scope}`)).not.toBe(values[scope as keyof typeof values]);
      }
    });

    it('a panic among unchanged reads still pushes its dead man\'s switch back (no panic, calm or read-repair is skipped)', async () => {
      const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000 });
      const scopes = ['a', 'b', 'c'];
      await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
      for (const scope of scopes) await redis.expire(`${KEY}:${scope}`, 100);
      const results = await batchClock.observeMany!([{ scope: 'a', kind: 'read' }, { scope: 'b', kind: 'panic' }, { scope: 'c', kind: 'read' }]);
      expect(results.every((r) => r.ok && r.observation.active)).toBe(true);
      expect(await redis.ttl(`${KEY}:b`)).toBeGreaterThan(86_000);
      expect(await redis.ttl(`${KEY}:a`)).toBeLessThanOrEqual(100);
      const [calm] = await batchClock.observeMany!([{ scope: 'c', kind: 'calm' }, { scope: 'a', kind: 'read' }]);
      expect(calm).toMatchObject({ ok: true, observation: { active: false } });
      expect(await redis.exists(`${KEY}:c`)).toBe(0);
    });

    it('a change anywhere in 2,500 known keys (the third MGET of the script) is answered, the others as known, and nothing else is written', async () => {
      const batchClock = new RedisPanicClock(redis, { timeoutMs: 5000, maxKeysPerScript: 2500 });
      const scopes = Array.from({ length: 2500 }, (_, i) => `m-${i}`);
      const started = await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'panic' as const })));
      const earlier = ((await redisNowSeconds()) - 45 * 60).toFixed(6);
      await redis.set(`${KEY}:m-2499`, earlier, 'KEEPTTL');
      await redis.del(`${KEY}:m-1500`);
      const reads = await batchClock.observeMany!(scopes.map((scope) => ({ scope, kind: 'read' as const })));
      expect(reads[2499]).toMatchObject({ ok: true, observation: { active: true, startedAtMs: Number(earlier) * 1000 } });
      expect(reads[1500]).toMatchObject({ ok: true, observation: { active: false, startedAtMs: null } });
      const others = (results: typeof reads) => results.filter((_, i) => i !== 1500 && i !== 2499).map((r) => r.ok && r.observation.startedAtMs);
      expect(others(reads)).toEqual(others(started));
      expect(await redis.exists(`${KEY}:m-1500`)).toBe(0); // a read writes no start
    });

    it('a kinds argument shorter than the keys is refused, even when every key is unchanged', async () => {
      const start = ((await redisNowSeconds()) - 60).toFixed(6);
      await redis.set(`${KEY}:a`, start, 'EX', 86_400);
      await redis.set(`${KEY}:b`, start, 'EX', 86_400);
      await expect(redis.eval(OBSERVE_MANY_SCRIPT, 2, `${KEY}:a`, `${KEY}:b`, '', '86400', '0', '300', '', '60', 'r', `a${start},a${start}`)).rejects.toThrow(/observation kind 2 must be p, c or r/);
    });
  });

  it('maxKeysPerScript is validated, naming the field', () => {
    for (const maxKeysPerScript of [0, -1, 1.5, 10_001, '100']) {
      try {
        new RedisPanicClock(redis, { maxKeysPerScript } as never);
        expect.unreachable(`accepted ${String(maxKeysPerScript)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe('RedisPanicClock.maxKeysPerScript');
      }
    }
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

});

describe('validation at the edge', () => {
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

/** A real client whose script commands can be held back before they are sent, then released: a slow worker. */
function heldClient(client: Redis): { client: Redis; hold(): void; release(): void; settled(): Promise<unknown> } {
  let gate: Promise<void> | null = null;
  let open = () => {};
  const sent: Array<Promise<unknown>> = [];
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'evalsha' && prop !== 'eval') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        const call = (async () => {
          if (gate) await gate;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        })();
        sent.push(call.catch(() => undefined));
        return call;
      };
    },
  });
  return {
    client: proxy,
    hold: () => void (gate = new Promise((resolve) => (open = resolve))),
    release: () => {
      gate = null;
      open();
    },
    settled: () => Promise.all(sent),
  };
}

/**
 * Lets a clock learn Redis's clock: it keeps the offset of a round trip shorter than its timeout,
 * so a few reads make sure one was short enough even on a loaded machine.
 */
async function learnRedisClock(clock: RedisPanicClock): Promise<void> {
  for (let i = 0; i < 10; i += 1) {
    await clock.observe(undefined, 'read').catch(() => undefined);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
