import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { captureLogger } from '../support/capture-logger.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { RedisServer } from '../support/redis-server.js';
import { useRedisServer } from '../support/use-redis-server.js';

const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } } as const;
const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;
// A decision during an outage with timeoutMs 50 must come back within the timeout plus a margin that
// holds on a loaded 2-core machine (20× the timeout). Without the clock's own timeout a paused Redis
// never answers, so the bound still tells a bounded call from a waiting one.
const BOUND_MS = 1000;

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work;
  return { value, ms: performance.now() - start };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('a burst against a real redis-server', () => {
  const redis = useRedisServer();

  it('1,000 concurrent panic calls cost one Redis round trip', async () => {
    const admin = redis.server.client();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 1000 }), syncIntervalMs: 0, timeoutMs: 1000 });
    await admin.flushall();
    await breaker.getTtl({ ...CALM, scope: 'warm-up' }); // loads the script once (EVALSHA, then EVAL on NOSCRIPT)
    const before = await commandCalls(admin);
    const decisions = await Promise.all(Array.from({ length: 1000 }, () => breaker.getTtl(PANIC)));
    const delta = diffCalls(before, await commandCalls(admin));
    expect((delta.evalsha ?? 0) + (delta.eval ?? 0)).toBe(1);
    expect(decisions.every((d) => d.tier === 1 && !d.failSafe)).toBe(true);
  });
});

describe.each([
  ['paused (SIGSTOP)', 'pause'],
  ['killed (SIGKILL)', 'kill'],
] as const)('redis-server %s', (_label, fault) => {
  const redis = useRedisServer();
  let breaker: VixCircuitBreaker;
  let lines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    const captured = captureLogger('info');
    lines = captured.lines;
    breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.client, { timeoutMs: 50 }), syncIntervalMs: 0, timeoutMs: 50, logger: captured.logger });
    await eventually(async () => !(await breaker.getTtl(PANIC)).failSafe); // the panic is stored before the fault
    if (fault === 'pause') redis.server.pause();
    else await redis.server.kill();
  });
  afterEach(() => undefined);
  // Registered after the server's hooks: Vitest runs after-hooks in reverse, so the breaker closes first.
  afterAll(async () => {
    await breaker.close();
  });

  it(`a panic decision resolves fail-safe (TTL 0) in under ${BOUND_MS} ms with timeoutMs 50`, async () => {
    const { value, ms } = await timed(breaker.getTtl(PANIC));
    expect(value).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1, failSafe: true });
    expect(['store_timeout', 'store_error', 'store_busy']).toContain(value.reason);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(lines.some((l) => l.msg === 'PANIC_WITHOUT_RELIABLE_TIMESTAMP' && l.redis_status === 'configured_but_error')).toBe(true);
  });

  it(`every call during the outage stays under ${BOUND_MS} ms, and none throws`, async () => {
    for (let i = 0; i < 20; i += 1) {
      const { value, ms } = await timed(breaker.getTtl(PANIC));
      expect(value.failSafe).toBe(true);
      expect(ms).toBeLessThan(BOUND_MS);
    }
  });

  it('a calm decision gives the base TTL', async () => {
    const { value, ms } = await timed(breaker.getTtl(CALM));
    expect(value).toMatchObject({ ttl: 60, mode: 'NORMAL', failSafe: false });
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('once redis-server is back, the same breaker recovers without a restart', async () => {
    if (fault === 'pause') redis.server.resume();
    else await redis.server.restart();
    await eventually(async () => !(await breaker.getTtl(PANIC)).failSafe);
    const decision = await breaker.getTtl(PANIC);
    expect(decision).toMatchObject({ tier: 1, ttl: 0, failSafe: false });
    expect(lines.filter((l) => l.msg === 'VIX_TTL_STATE_CHANGE').length).toBeGreaterThanOrEqual(2);
  });
});

describe('an outage does not pile commands up in the client queue', () => {
  it('50 panic calls while redis-server is paused send at most 2 commands', async () => {
    const server = await RedisServer.start();
    try {
      const admin = server.client();
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(server.client(), { timeoutMs: 50 }), syncIntervalMs: 0, timeoutMs: 50 });
      await eventually(async () => !(await breaker.getTtl(PANIC)).failSafe); // no command of the warm-up still in flight
      const before = await commandCalls(admin);
      server.pause();
      for (let i = 0; i < 50; i += 1) expect((await breaker.getTtl(PANIC)).failSafe).toBe(true);
      server.resume();
      await new Promise((r) => setTimeout(r, 200));
      const delta = diffCalls(before, await commandCalls(admin));
      expect((delta.evalsha ?? 0) + (delta.eval ?? 0)).toBeLessThanOrEqual(2);
    } finally {
      await server.stop();
    }
  });
});

describe.each([
  ['retries forever (maxRetriesPerRequest: null)', { maxRetriesPerRequest: null }],
  ['no offline queue (enableOfflineQueue: false)', { enableOfflineQueue: false }],
  ['a long command timeout of its own (commandTimeout: 10000)', { commandTimeout: 10_000 }],
] as const)('the clock\'s own timeout holds whatever the client %s', (_label, clientOptions) => {
  it(`paused and killed redis-server: panic decisions are fail-safe in under ${BOUND_MS} ms`, async () => {
    const server = await RedisServer.start();
    try {
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(server.client({ ...clientOptions }), { timeoutMs: 50 }), syncIntervalMs: 0, timeoutMs: 50 });
      await eventually(async () => !(await breaker.getTtl(PANIC)).failSafe);
      server.pause();
      for (let i = 0; i < 3; i += 1) {
        const { value, ms } = await timed(breaker.getTtl(PANIC));
        expect(value).toMatchObject({ ttl: 0, failSafe: true });
        expect(ms).toBeLessThan(BOUND_MS);
      }
      await server.kill();
      for (let i = 0; i < 3; i += 1) {
        const { value, ms } = await timed(breaker.getTtl(PANIC));
        expect(value).toMatchObject({ ttl: 0, failSafe: true });
        expect(ms).toBeLessThan(BOUND_MS);
      }
      await server.restart();
      await eventually(async () => !(await breaker.getTtl(PANIC)).failSafe);
      await breaker.close();
    } finally {
      await server.stop();
    }
  });
});
