import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker, type TtlDecision } from '../../src/index.js';
import { RedisSentinelFixture } from '../support/redis-sentinel.js';
import { untilDecided } from '../support/until-settled.js';

const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } } as const;
// timeoutMs 50 plus a margin that holds on a loaded 2-core machine; without the timeout a decision
// would wait for the failover (seconds).
const BOUND_MS = 1000;

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
    // The setup writes through a clock with a generous timeout: the 50 ms one is the subject, not the setup's.
    const started = await new RedisPanicClock(redis, { timeoutMs: 5000 }).startPanic(undefined, { ageMs: 100 * 60_000 });
    const before = await untilDecided(() => breaker.getTtl(PANIC)); // a slow moment before the fault is not the subject
    expect(before).toMatchObject({ tier: 3, ttl: 30, failSafe: false });
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
      expect(ms).toBeLessThan(BOUND_MS);
    }
    expect(after).toMatchObject({ tier: 3, ttl: 30, failSafe: false });
    // The client follows whichever sentinel answers first; the one asked here may learn of the switch a moment later.
    await expect.poll(() => group.currentPrimaryPort(), { timeout: 10_000, interval: 100 }).toBe(group.replica.port);
    const view = await clock.inspect();
    expect(view.startedAtMs).toBeCloseTo(started.startedAtMs!, 0);
    await breaker.close();
  }, 45_000);
});
