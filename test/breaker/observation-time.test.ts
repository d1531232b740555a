import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker, type PanicClock } from '../../src/index.js';
import { DelayProxy } from '../support/delay-proxy.js';
import { useRedisServer } from '../support/use-redis-server.js';

const KEY = 'brain:panic_start_ts';

const redis = useRedisServer({ flushBeforeEach: true });

describe('a calm that waits behind the batch in flight is judged by when it was seen', () => {
  // Worker A's link is slow (1 s each way, through a real TCP proxy), so its calm waits about 2 s behind a
  // batch in flight; the newer panic begins 300 ms after the calm was seen, far above the error of a clock
  // offset learned on a round trip, and far before A's batch reaches Redis.
  it.each([
    ['behind another scope\'s batch in flight', 60_000],
    ['for the refresh of its own scope, then behind it', 100],
  ])('a newer panic that began while the calm waited %s is kept (compare-and-delete, as for a single observation)', async (_, syncIntervalMs) => {
    const proxy = await DelayProxy.start(redis.server.port);
    const slow = new Redis({ host: '127.0.0.1', port: proxy.port, lazyConnect: true });
    slow.on('error', () => undefined);
    const clockA = new RedisPanicClock(slow, { timeoutMs: 20_000 });
    const a = new VixCircuitBreaker({ clock: clockA, timeoutMs: 20_000, syncIntervalMs });
    const other = new RedisPanicClock(redis.server.client(), { timeoutMs: 5000 });
    try {
      const scope = 'match-7';
      await other.observe(scope, 'panic');
      expect(await a.getTtl({ baseTtl: 60, scope, vixStatus: 'panic' })).toMatchObject({ failSafe: false, tier: 1 });
      proxy.delayMs = 1000;
      await sleep(150); // with syncIntervalMs 100, A's answer for the scope is old: the next decision starts a refresh round
      const busy = a.getTtl({ baseTtl: 60, scope: 'other', vixStatus: 'calm' }); // A's one batch in flight
      await sleep(50);
      const calm = a.getTtl({ baseTtl: 60, scope, vixStatus: 'calm' }); // A's caller sees calm now
      await sleep(300);
      await other.observe(scope, 'calm'); // another worker ends that panic…
      const newer = await other.observe(scope, 'panic'); // …and a new one begins, after A's calm was seen
      expect(newer.created).toBe(true);
      const stored = await redis.client.get(`${KEY}:${scope}`);
      await Promise.all([busy, calm]);
      expect(await redis.client.get(`${KEY}:${scope}`)).toBe(stored);
    } finally {
      await a.close();
      slow.disconnect();
      await proxy.close();
    }
  });
});

/** A PanicClock of one's own without observeMany, on the real clock: the breaker then calls observe per scope. */
function withoutObserveMany(clock: RedisPanicClock): PanicClock {
  return {
    kind: clock.kind,
    observe: (scope, kind) => clock.observe(scope, kind),
    inspect: (scope, options) => clock.inspect(scope, options),
    startPanic: (scope, options) => clock.startPanic(scope, options),
    reset: (scope) => clock.reset(scope),
    ping: () => clock.ping(),
    close: async () => undefined,
  };
}

describe('a panic the clock only read (it judged it stale) is never answered as calm', () => {
  // Redis's clock steps 10 minutes forward after the clock learned its offset (the Redis host's NTP, a VM
  // resumed): Redis TIME cannot be moved, so this process's clocks (wall and monotonic) step back instead,
  // which is the same to the learned offset. The first panic after the step reaches Redis "10 minutes late"
  // and only reads.
  it.each([
    ['observeMany', (clock: RedisPanicClock): PanicClock => clock],
    ['observe per scope', withoutObserveMany],
  ])('through %s: TTL 0, failSafe, reason store_timeout, nothing written; the next panic decision writes', async (_, make) => {
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 5000 });
    const breaker = new VixCircuitBreaker({ clock: make(clock), timeoutMs: 5000, syncIntervalMs: 100 });
    await breaker.getTtl({ baseTtl: 60, scope: 'warm-up', vixStatus: 'calm' }); // the clock learns Redis's time
    const monotonic = performance.now.bind(performance);
    const wall = Date.now.bind(Date);
    const steps = [vi.spyOn(performance, 'now').mockImplementation(() => monotonic() - 600_000), vi.spyOn(Date, 'now').mockImplementation(() => wall() - 600_000)];
    try {
      const first = await breaker.getTtl({ baseTtl: 60, scope: 'match-2', vixStatus: 'panic' });
      expect(first).toMatchObject({ ttl: 0, failSafe: true, reason: 'store_timeout' });
      expect(await redis.client.exists(`${KEY}:match-2`)).toBe(0);
      expect(breaker.panicScopes.held).toBe(0); // it wrote nothing: its place is given back
      const next = await breaker.getTtl({ baseTtl: 60, scope: 'match-2', vixStatus: 'panic' });
      expect(next).toMatchObject({ ttl: 0, failSafe: false, tier: 1 });
      expect(await redis.client.exists(`${KEY}:match-2`)).toBe(1);
    } finally {
      for (const step of steps) step.mockRestore();
      await breaker.close();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
