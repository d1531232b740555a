import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VixCircuitBreaker } from '../../src/breaker/vix-circuit-breaker.js';
import { RedisPanicClock } from '../../src/clock/redis-panic-clock.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { VixPublisher, type PublishEvent } from '../../src/vix/vix-publisher.js';
import { captureLogger } from '../support/capture-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { MINUTE, stream } from './vix-streams.js';

const SCOPE = 'rma-bay';
const KEY = `brain:panic_start_ts:${SCOPE}`;
// Long enough that the test reads the stale start before the first refresh even on a loaded machine.
const REFRESH_MS = 2000;

describe('publisher mode after a Redis failover that lost the calm deletion (real redis-server)', () => {
  let server: RedisServer;
  let redis: Redis;
  let engine: VixEngine;
  let publisher: VixPublisher;
  let breaker: VixCircuitBreaker;
  const events: PublishEvent[] = [];
  const { logger, lines } = captureLogger('info');

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    engine = new VixEngine();
    publisher = new VixPublisher({ engine, clock: new RedisPanicClock(server.client(), { timeoutMs: 1000 }), logger, refreshIntervalMs: REFRESH_MS, hooks: { onPublish: (e) => events.push(e) } });
    breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(server.client(), { timeoutMs: 1000 }), syncIntervalMs: 0, timeoutMs: 1000 });
  });

  afterAll(async () => {
    await publisher?.close();
    await breaker?.close();
    await server?.stop();
  });

  const read = () => breaker.getTtl({ baseTtl: 60, scope: SCOPE, match: { league: 'Premier League' } });

  it('a live panic keeps its start through the refreshes; calm deletes it', async () => {
    const ticks = stream({ seed: 95, durationMs: 25 * MINUTE, scopes: [{ scope: SCOPE, markets: 4, meanGapMs: 2000 }], events: [{ scope: SCOPE, atMs: 10 * MINUTE, durationMs: 3 * MINUTE, volatility: 10, jump: 0.3 }] });
    let i = 0;
    while (engine.status(SCOPE) !== 'panic') engine.ingest(ticks[i++]);
    await publisher.idle();
    const started = await redis.get(KEY);
    expect(started).not.toBeNull();
    await publisher.refresh();
    await publisher.refresh();
    expect(await redis.get(KEY)).toBe(started);
    while (i < ticks.length) engine.ingest(ticks[i++]);
    expect(engine.status(SCOPE)).toBe('calm');
    await publisher.idle();
    expect(await redis.exists(KEY)).toBe(0);
    expect((await read()).tier).toBe(0);
  });

  it(`a stale start restored while the engine is calm is deleted by the calm refresh within refreshIntervalMs (${REFRESH_MS} ms), logged and reported`, async () => {
    const [seconds] = await redis.time();
    await redis.set(KEY, (Number(seconds) - 20 * 60).toFixed(6), 'EX', 86_400); // what the promoted replica still had
    const restoredAt = Date.now();
    // Until the publisher writes again, a reader in publisher mode believes the old panic: tier 1 at 20 minutes.
    expect(await read()).toMatchObject({ tier: 1, ttl: 0, failSafe: false });

    await vi.waitFor(async () => expect(await redis.exists(KEY)).toBe(0), { timeout: 3 * REFRESH_MS, interval: 10 });
    const tookMs = Date.now() - restoredAt;
    expect(tookMs).toBeLessThan(2 * REFRESH_MS); // one interval, plus one more of scheduling slack on a loaded machine
    expect(await read()).toMatchObject({ tier: 0, ttl: 60, mode: 'NORMAL' });
    expect(engine.status(SCOPE)).toBe('calm');

    const removal = events.find((e) => e.scope === SCOPE && e.removedStart && e.reason === 'refresh');
    expect(removal).toMatchObject({ kind: 'calm', outcome: 'ok' });
    expect(lines.find((l) => String(l.msg).startsWith('VIX_STALE_PANIC_REMOVED'))).toMatchObject({ level: 40, scope: SCOPE, reason: 'refresh' });
    // Only the one stale start is reported as removed by a refresh; the transition's deletion was expected.
    expect(events.filter((e) => e.scope === SCOPE && e.removedStart).map((e) => e.reason)).toEqual(['transition', 'refresh']);
  });
});
