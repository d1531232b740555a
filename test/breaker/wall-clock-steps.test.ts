import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker, type TtlDecision } from '../../src/index.js';
import { useRedisServer } from '../support/use-redis-server.js';

const KEY = 'brain:panic_start_ts';
const HOUR_MS = 3_600_000;
const MEDIUM = { importance: 'medium_stakes' } as const; // tier 2 from 30 minutes of panic
// Generous: nothing here measures the scheduler, only that the breaker refreshes at all.
const MARGIN_MS = 2_000;

/**
 * A wall clock that can be stepped, as an NTP correction or a VM resume does: `Date.now`
 * reads the real time plus the step set last. Installed before the breaker is built, so
 * whatever it captured as `Date.now` steps too.
 */
function steppableWallClock(): { step(ms: number): void } {
  const realNow = Date.now.bind(Date);
  let stepMs = 0;
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + stepMs);
  return { step: (ms) => void (stepMs = ms) };
}

/** Redis's own time (ms), read with `TIME`. */
async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

/** Decides every 20 ms until `done` holds, for at most `ms` of real time; the last decision and when it came. */
async function until(breaker: VixCircuitBreaker, scope: string, ms: number, done: (d: TtlDecision) => boolean): Promise<{ decision: TtlDecision; atMs: number }> {
  const deadline = performance.now() + ms;
  for (;;) {
    const decision = await breaker.getTtl({ baseTtl: 60, match: MEDIUM, scope });
    if (done(decision) || performance.now() > deadline) return { decision, atMs: performance.now() };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a wall-clock step does not freeze or expire what the breaker synced (default time source)', () => {
  const redis = useRedisServer();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('after Date.now steps back one hour, a tier boundary is still crossed on time and a start deleted by another writer is seen within a sync interval', async () => {
    await redis.client.flushall();
    const interval = 200;
    const toBoundaryMs = 2_000;
    // A panic that reaches 30 minutes (tier 2 for medium stakes) 2 s from now on Redis's clock.
    const startMs = (await redisNowMs(redis.client)) - 30 * 60_000 + toBoundaryMs;
    const boundaryAt = performance.now() + toBoundaryMs;
    await redis.client.set(`${KEY}:m-back`, (startMs / 1000).toFixed(3), 'EX', 86_400);
    const wall = steppableWallClock();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 2000 }), syncIntervalMs: interval, timeoutMs: 2000 });
    try {
      expect((await breaker.getTtl({ baseTtl: 60, match: MEDIUM, scope: 'm-back' })).tier).toBe(1);
      wall.step(-HOUR_MS);
      const crossed = await until(breaker, 'm-back', toBoundaryMs + 5 * MARGIN_MS, (d) => d.tier === 2);
      expect(crossed.decision.tier).toBe(2);
      expect(crossed.atMs).toBeGreaterThanOrEqual(boundaryAt - 500); // not early: the duration was carried forward, not reset
      expect(crossed.atMs).toBeLessThan(boundaryAt + MARGIN_MS);
      // Another writer ends the panic: the breaker's refresh sees it within a sync interval (plus a margin).
      await redis.client.del(`${KEY}:m-back`);
      const deletedAt = performance.now();
      const calm = await until(breaker, 'm-back', 5 * MARGIN_MS, (d) => d.tier === 0);
      expect(calm.decision).toMatchObject({ tier: 0, failSafe: false });
      expect(calm.atMs - deletedAt).toBeLessThan(interval + MARGIN_MS);
    } finally {
      await breaker.close();
    }
  });

  it('after Date.now steps forward one hour, decisions still come from the synced answer: none waits, none is fail-safe, the held panic scope stays held', async () => {
    await redis.client.flushall();
    // A long sync interval, so the decisions below come well inside it however loaded the machine is.
    const wall = steppableWallClock();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 2000 }), syncIntervalMs: 10_000, timeoutMs: 2000 });
    const events: Array<{ waitedMs: number | undefined; failSafe: boolean; tier: number }> = [];
    try {
      await redis.client.set(`${KEY}:m-fwd`, String(Math.floor((await redisNowMs(redis.client)) / 1000) - 45 * 60), 'EX', 86_400);
      expect((await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: MEDIUM, scope: 'm-fwd' })).tier).toBe(2);
      breaker.onDecision(({ decision, waitedMs }) => events.push({ waitedMs, failSafe: decision.failSafe, tier: decision.tier }));
      wall.step(HOUR_MS);
      for (let i = 0; i < 20; i += 1) await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: MEDIUM, scope: 'm-fwd' });
      expect(events).toHaveLength(20);
      expect(events.filter((e) => e.waitedMs !== undefined)).toEqual([]);
      expect(events.every((e) => e.tier === 2 && !e.failSafe)).toBe(true);
      expect(breaker.panicScopes.held).toBe(1);
      expect(breaker.isSynced('m-fwd')).toBe(true);
    } finally {
      await breaker.close();
    }
  });

  it('after Date.now steps back one hour, a new panic still writes its start: the clock does not take its own commands for ones held in a queue for an hour', async () => {
    await redis.client.flushall();
    const wall = steppableWallClock();
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 2000 });
    await clock.observe('m-seen', 'read'); // Redis's clock against ours is learned here
    wall.step(-HOUR_MS);
    const observation = await clock.observe('m-new', 'panic');
    expect(observation).toMatchObject({ active: true, created: true });
    expect(await redis.client.exists(`${KEY}:m-new`)).toBe(1);
    const [many] = await clock.observeMany([{ scope: 'm-many', kind: 'panic' }]);
    expect(many).toMatchObject({ ok: true, observation: { active: true, created: true } });
    expect(await redis.client.exists(`${KEY}:m-many`)).toBe(1);
  });
});
