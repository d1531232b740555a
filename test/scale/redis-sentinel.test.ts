import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker, type TtlDecision } from '../../src/index.js';
import { RedisSentinelFixture } from '../support/redis-sentinel.js';

const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } } as const;

describe('Sentinel failover during a panic', () => {
  let group: RedisSentinelFixture;

  beforeAll(async () => {
    group = await RedisSentinelFixture.start();
  }, 30_000);
  afterAll(async () => group.stop());

  it('decisions stay fail-safe while the primary is gone, then continue on the promoted replica with the same start', async () => {
    const redis = group.client();
    const clock = new RedisPanicClock(redis, { timeoutMs: 50 });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 50 });
    const started = await clock.startPanic(undefined, { ageMs: 100 * 60_000 });
    expect(await breaker.getTtl(PANIC)).toMatchObject({ tier: 3, ttl: 30, failSafe: false });
    const primary = group.primary.client();
    expect(Number(await primary.call('WAIT', '1', '2000'))).toBe(1); // the start reached the replica
    primary.disconnect();

    await group.primary.kill();
    const during: Array<{ decision: TtlDecision; ms: number }> = [];
    const deadline = Date.now() + 30_000;
    let after: TtlDecision | undefined;
    while (Date.now() < deadline) {
      const t0 = performance.now();
      const decision = await breaker.getTtl(PANIC);
      const ms = performance.now() - t0;
      if (!decision.failSafe) {
        after = decision;
        break;
      }
      during.push({ decision, ms });
      await new Promise((r) => setTimeout(r, 50));
    }

    expect(during.length).toBeGreaterThan(0);
    for (const { decision, ms } of during) {
      expect(decision).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', failSafe: true });
      expect(ms).toBeLessThan(250);
    }
    expect(after).toMatchObject({ tier: 3, ttl: 30, failSafe: false });
    expect(await group.currentPrimaryPort()).toBe(group.replica.port);
    const view = await clock.inspect();
    expect(view.startedAtMs).toBeCloseTo(started.startedAtMs!, 0);
    await breaker.close();
  }, 45_000);
});
