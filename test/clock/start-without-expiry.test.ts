import { describe, expect, it } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker, type ObservationResult } from '../../src/index.js';
import { EXPIRY_CHECK_EVERY, OBSERVE_MANY_SCRIPT } from '../../src/clock/redis-scripts.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { useRedisServer } from '../support/use-redis-server.js';

// A valid panic start stored without an expiry (an operator's `SET key 1764230000.5`, a foreign
// writer, a `PERSIST`) must not live forever where only readers look: the spec's dead man's switch.
// Whatever observation first finds it gives it the switch; a start that has an expiry keeps it.

const KEY = 'brain:panic_start_ts';
const DEADMAN = 3600;

describe('a valid start without expiry gets the dead man\'s switch from the first observation that finds it', () => {
  const redis = useRedisServer({ flushBeforeEach: true });

  async function redisNow(): Promise<number> {
    const [s, us] = await redis.client.time();
    return Number(s) + Number(us) / 1e6;
  }

  /** A start `ageS` seconds old, as a Python worker or an operator writes it, without expiry unless `ex`. */
  async function preset(scope: string, ageS: number, ex?: number): Promise<string> {
    const value = ((await redisNow()) - ageS).toFixed(1);
    if (ex === undefined) await redis.client.set(`${KEY}:${scope}`, value);
    else await redis.client.set(`${KEY}:${scope}`, value, 'EX', ex);
    return value;
  }

  const ttlOf = (scope: string) => redis.client.ttl(`${KEY}:${scope}`);

  it('a read by observe (the single-scope script) answers the start and gives it an expiry ≤ deadManSwitchSeconds; a start with an expiry keeps it', async () => {
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 5000, deadManSwitchSeconds: DEADMAN });
    const bare = await preset('bare', 60);
    await preset('expiring', 60, 100);
    for (let i = 0; i < 3; i += 1) {
      expect(await clock.observe('bare', 'read')).toMatchObject({ active: true, startedAtMs: Number(bare) * 1000, created: false, repaired: null });
      expect(await clock.observe('expiring', 'read')).toMatchObject({ active: true, created: false });
    }
    expect(await ttlOf('bare')).toBeGreaterThan(0);
    expect(await ttlOf('bare')).toBeLessThanOrEqual(DEADMAN);
    expect(await ttlOf('expiring')).toBeGreaterThan(0);
    expect(await ttlOf('expiring')).toBeLessThanOrEqual(100); // a read never pushes a panic's switch back
    expect(await redis.client.get(`${KEY}:bare`)).toBe(bare); // the start itself is untouched
  });

  it('with a calm grace too: a start without expiry read is a running panic given the switch, not one in its grace', async () => {
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 5000, deadManSwitchSeconds: DEADMAN, calmGraceSeconds: 30 });
    await preset('bare', 60);
    const [read] = await clock.observeMany([{ scope: 'bare', kind: 'read' }]);
    expect(read).toMatchObject({ ok: true, observation: { active: true } });
    expect(await ttlOf('bare')).toBeGreaterThan(30);
    expect(await ttlOf('bare')).toBeLessThanOrEqual(DEADMAN);
  });

  it('a batch read by the per-key loop (a clock that knows no key) gives each start without expiry the switch and leaves the others\' expiry as it was', async () => {
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 5000, deadManSwitchSeconds: DEADMAN });
    const scopes = Array.from({ length: 40 }, (_, i) => `s-${i}`);
    for (const [i, scope] of scopes.entries()) await preset(scope, 60 + i, i % 2 === 0 ? undefined : 100);
    await redis.client.set(`${KEY}:none-yet`, 'garbage'); // a corrupt value without expiry: repaired with the switch, as before
    const results = await clock.observeMany([...scopes, 'none-yet'].map((scope) => ({ scope, kind: 'read' as const })));
    expect(results.every((r) => r.ok && r.observation.active)).toBe(true);
    for (const [i, scope] of scopes.entries()) {
      const ttl = await ttlOf(scope);
      expect(ttl, scope).toBeGreaterThan(0);
      expect(ttl, scope).toBeLessThanOrEqual(i % 2 === 0 ? DEADMAN : 100);
    }
    expect(await ttlOf('none-yet')).toBeGreaterThan(100);
  });

  it('a calm that keeps a start newer than itself (compare-and-delete) gives that start the switch if it had none', async () => {
    const now = await redisNow();
    const newer = (now - 5).toFixed(1);
    await redis.client.set(`${KEY}:x`, newer);
    // The calm was seen 60 s ago (ARGV[8 + 1]), before that start: it must keep it.
    const reply = (await redis.client.eval(OBSERVE_MANY_SCRIPT, 1, `${KEY}:x`, '', String(DEADMAN), '0', '300', '', '3600', 'c', 'u', (now - 60).toFixed(6))) as string[];
    expect([reply[1], reply[2], reply[4]]).toEqual(['1', 'active', newer]); // index, state, the value kept
    expect(await ttlOf('x')).toBeGreaterThan(0);
    expect(await ttlOf('x')).toBeLessThanOrEqual(DEADMAN);
  });

  it(`the batch fast path: a known start stripped of its expiry between rounds (PERSIST, the same bytes SET again) gets the switch within ${EXPIRY_CHECK_EVERY} rounds; every other round is answered by the fast path, with a PTTL for 1 key in ${EXPIRY_CHECK_EVERY}`, async () => {
    const COUNT = 1200; // two MGETs per script
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 5000, deadManSwitchSeconds: DEADMAN, maxKeysPerScript: 2000 });
    const scopes = Array.from({ length: COUNT }, (_, i) => `s-${i}`);
    const reads = scopes.map((scope) => ({ scope, kind: 'read' as const }));
    const now = await redisNow();
    const values = scopes.map((_, i) => (now - 60 - i).toFixed(6));
    const pipeline = redis.client.pipeline();
    values.forEach((value, i) => pipeline.set(`${KEY}:${scopes[i]}`, value, 'EX', 100));
    await pipeline.exec();
    const starts = (results: ObservationResult[]) => results.map((r) => (r.ok ? r.observation.startedAtMs : r.error.message));
    const expected = values.map((value) => Number(value) * 1000);
    expect(starts(await clock.observeMany(reads))).toEqual(expected); // the clock learns every key

    // A round the fast path answers reads each chunk once (2 MGETs); one it sends to the loop reads them again.
    const round = async () => {
      const before = await commandCalls(redis.client);
      expect(starts(await clock.observeMany(reads))).toEqual(expected);
      const delta = diffCalls(before, await commandCalls(redis.client));
      return { mget: delta.mget ?? 0, pttl: delta.pttl ?? 0, expire: delta.expire ?? 0 };
    };
    for (let i = 0; i < EXPIRY_CHECK_EVERY; i += 1) {
      const { mget, pttl, expire } = await round();
      expect({ mget, expire }).toEqual({ mget: 2, expire: 0 }); // the steady state: the fast path, nothing written
      expect(pttl).toBeLessThanOrEqual(Math.ceil(COUNT / EXPIRY_CHECK_EVERY));
    }

    await redis.client.persist(`${KEY}:s-1100`);
    await redis.client.set(`${KEY}:s-1150`, values[1150]!); // the same bytes, no EX
    const rounds: Array<{ mget: number; pttl: number; expire: number }> = [];
    for (let i = 0; i < EXPIRY_CHECK_EVERY; i += 1) rounds.push(await round());
    for (const scope of ['s-1100', 's-1150']) {
      const ttl = await ttlOf(scope);
      expect(ttl, scope).toBeGreaterThan(100);
      expect(ttl, scope).toBeLessThanOrEqual(DEADMAN);
    }
    // Each stripped key sent at most one round to the loop (4 MGETs: the fast path's two, then the loop's);
    // every other round was answered by the fast path alone.
    const slow = rounds.filter((r) => r.mget !== 2);
    expect(slow.length).toBeGreaterThanOrEqual(1);
    expect(slow.length).toBeLessThanOrEqual(2);
    for (const r of slow) expect(r.mget).toBe(4);
    expect(rounds.reduce((sum, r) => sum + r.expire, 0)).toBe(2); // the two stripped keys, each once
    for (const r of rounds.filter((r) => r.mget === 2)) expect(r.pttl).toBeLessThanOrEqual(Math.ceil(COUNT / EXPIRY_CHECK_EVERY));

    // The others kept their own expiry: reads never push a panic's switch back.
    const ttls = await Promise.all(scopes.filter((_, i) => i !== 1100 && i !== 1150).map((scope) => ttlOf(scope)));
    expect(ttls.filter((ttl) => ttl <= 0 || ttl > 100)).toEqual([]);
  });

  it('hostile tags: a known start\'s check tag on a key of another type, a missing key or garbage is judged by the loop as any other change', async () => {
    const now = await redisNow();
    const start = (now - 60).toFixed(6);
    await redis.client.set(`${KEY}:ok`, start, 'EX', 100);
    await redis.client.hset(`${KEY}:hash`, 'start', start);
    await redis.client.set(`${KEY}:junk`, 'junk');
    const keys = ['ok', 'hash', 'missing', 'junk'].map((scope) => `${KEY}:${scope}`);
    const reply = (await redis.client.eval(OBSERVE_MANY_SCRIPT, keys.length, ...keys, '', String(DEADMAN), '0', '300', '', '60', 'rrrr', [`A${start}`, `A${start}`, `A${start}`, `A${start}`].join(','))) as string[];
    // ok is left out (as known); hash and junk are repaired with the switch; the missing key is none.
    const changed = new Map<string, string[]>();
    for (let at = 1; at < reply.length; at += 7) changed.set(reply[at]!, reply.slice(at + 1, at + 7));
    expect([...changed.keys()]).toEqual(['2', '3', '4']);
    expect(changed.get('2')![3]).toBe('wrong_type');
    expect(changed.get('3')![0]).toBe('none');
    expect(changed.get('4')![3]).toBe('unparsable');
    expect(await redis.client.ttl(`${KEY}:ok`)).toBeLessThanOrEqual(100);
    for (const scope of ['hash', 'junk']) expect(await ttlOf(scope)).toBeGreaterThan(100);
    expect(await redis.client.exists(`${KEY}:missing`)).toBe(0);
  });
});

describe('end to end: a start written without expiry, a fleet that only reads', () => {
  const redis = useRedisServer({ flushBeforeEach: true });

  it('three breakers reading it (no vixStatus: publisher mode) decide a panic, and it is gone within the dead man\'s switch once nobody writes', async () => {
    const SWITCH_S = 2;
    const [seconds] = await redis.client.time();
    await redis.client.set(`${KEY}:final`, String(Number(seconds) - 600)); // an operator's SET: no EX
    const breakers = [0, 1, 2].map(
      () => new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 2000, deadManSwitchSeconds: SWITCH_S }), syncIntervalMs: 50, timeoutMs: 2000 }),
    );
    try {
      const first = await Promise.all(breakers.map((breaker) => breaker.getTtl({ baseTtl: 60, scope: 'final' })));
      expect(first.map((d) => [d.mode, d.failSafe])).toEqual(breakers.map(() => ['PANIC_FULL', false]));
      // Readers keep reading (their sync loops refresh the scope); a generous bound, far above the 2 s switch.
      const deadline = Date.now() + 30_000;
      let gone = false;
      while (!gone && Date.now() < deadline) {
        await Promise.all(breakers.map((breaker) => breaker.getTtl({ baseTtl: 60, scope: 'final' })));
        gone = (await redis.client.exists(`${KEY}:final`)) === 0;
        if (!gone) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(gone).toBe(true);
      // Once gone, the readers decide no panic (their next sync reads none).
      const deadlineCalm = Date.now() + 30_000;
      let modes: string[] = [];
      do {
        modes = (await Promise.all(breakers.map((breaker) => breaker.getTtl({ baseTtl: 60, scope: 'final' })))).map((d) => d.mode);
        if (modes.some((mode) => mode !== 'NORMAL')) await new Promise((resolve) => setTimeout(resolve, 50));
      } while (modes.some((mode) => mode !== 'NORMAL') && Date.now() < deadlineCalm);
      expect(modes).toEqual(['NORMAL', 'NORMAL', 'NORMAL']);
    } finally {
      await Promise.all(breakers.map((breaker) => breaker.close()));
    }
  }, 90_000);
});
