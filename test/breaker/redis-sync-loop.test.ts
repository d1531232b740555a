import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { startWorkers, stopWorkers } from '../support/spawn-workers.js';
import { untilDecided, untilSettled } from '../support/until-settled.js';
import { useRedisServer } from '../support/use-redis-server.js';

const KEY = 'brain:panic_start_ts';
const INTERVAL = 100;
// A decision during an outage with timeoutMs 50 comes back within the timeout plus a margin that holds on
// a loaded 2-core machine (20× the timeout); without the breaker's own bound it would wait for Redis.
const BOUND_MS = 1000;

function scripts(delta: Record<string, number>): number {
  return (delta.evalsha ?? 0) + (delta.eval ?? 0);
}

/** N scopes in a panic that started 45 minutes ago (tier 2 for Ligue 1). */
async function presetPanics(redis: Redis, n: number): Promise<void> {
  const [seconds] = await redis.time();
  const pipeline = redis.pipeline();
  for (let i = 0; i < n; i += 1) pipeline.set(`${KEY}:m-${i}`, String(Number(seconds) - 45 * 60), 'EX', 86_400);
  await pipeline.exec();
}

/** Decisions over `scopes` for `ms`, yielding to the event loop every 64 as a socket-driven service does. */
async function sweep(breaker: VixCircuitBreaker, scopes: string[], ms: number) {
  const decisions: Array<{ at: number; ms: number; tier: number; failSafe: boolean }> = [];
  let next = 0;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (let i = 0; i < 64; i += 1) {
      const started = performance.now();
      const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope: scopes[next++ % scopes.length] });
      decisions.push({ at: Date.now(), ms: performance.now() - started, tier: decision.tier, failSafe: decision.failSafe });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return decisions;
}

describe('the sync loop on a real redis-server', () => {
  const redis = useRedisServer();

  for (const n of [10, 1000]) {
    it(`${n.toLocaleString('en-US')} scopes in panic: Redis scripts stay at one per refresh round — at most two per syncIntervalMs — whatever the number of scopes`, async () => {
      await redis.client.flushall();
      await presetPanics(redis.client, n);
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 2000 }), syncIntervalMs: INTERVAL, timeoutMs: 2000, maxPanicScopes: 10_000 });
      const scopes = Array.from({ length: n }, (_, i) => `m-${i}`);
      // Each scope's first observation is its own (one batch per decision of this sequential loop): every
      // scope is asked once, whatever the machine's load, before the count starts.
      for (const scope of scopes) await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope });
      await sweep(breaker, scopes, 300);
      const before = await commandCalls(redis.client);
      const started = performance.now();
      const decisions = await sweep(breaker, scopes, 1500);
      const elapsedMs = performance.now() - started;
      const sent = scripts(diffCalls(before, await commandCalls(redis.client)));
      expect(sent).toBeLessThanOrEqual(Math.ceil(elapsedMs / (0.5 * INTERVAL)) + 2); // rounds start 0.8 × interval apart, 0.5 × when slow
      expect(decisions.length).toBeGreaterThan(sent * 10);
      expect(decisions.every((d) => d.tier === 2 && !d.failSafe)).toBe(true);
      await breaker.close();
    });
  }

  it(`Redis paused while 1,000 scopes are synced: every decision returns within ${BOUND_MS} ms, fail-safe once its answer is older than syncIntervalMs, and no more than a few batches are sent`, async () => {
    await redis.client.flushall();
    await presetPanics(redis.client, 1000);
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 50 }), syncIntervalMs: INTERVAL, timeoutMs: 50, maxPanicScopes: 10_000 });
    const scopes = Array.from({ length: 1000 }, (_, i) => `m-${i}`);
    await untilSettled(() => sweep(breaker, scopes, 300), (decisions) => !decisions.some((d) => d.failSafe)); // synced, however loaded the machine
    const before = await commandCalls(redis.client);
    redis.server.pause();
    await redis.server.stopped();
    const pausedAt = Date.now();
    let decisions;
    try {
      decisions = await sweep(breaker, scopes, 1200);
    } finally {
      redis.server.resume();
    }
    expect(decisions.reduce((max, d) => Math.max(max, d.ms), 0)).toBeLessThan(BOUND_MS);
    // An answer read before the pause serves for syncIntervalMs after it arrived; a margin for a late reply.
    expect(decisions.filter((d) => d.at > pausedAt + INTERVAL + 300).every((d) => d.failSafe && d.tier === 1)).toBe(true);
    expect(decisions.filter((d) => d.at > pausedAt + INTERVAL + 300).length).toBeGreaterThan(100);
    await new Promise((r) => setTimeout(r, 300));
    // One batch when the pause began, one more once abandonAfterMs (1 s) has passed; each is one script.
    expect(scripts(diffCalls(before, await commandCalls(redis.client)))).toBeLessThanOrEqual(3);
    const deadline = Date.now() + 10_000;
    let after = await sweep(breaker, scopes, 200);
    while (after.some((d) => d.failSafe) && Date.now() < deadline) after = await sweep(breaker, scopes, 200);
    expect(after.every((d) => d.tier === 2 && !d.failSafe)).toBe(true);
    await breaker.close();
  });
});

describe('an answer that comes after its decision failed safe', () => {
  const redis = useRedisServer();

  it('is kept as the synced answer: the next decision uses it without another round trip', async () => {
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 50 });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 5000, timeoutMs: 50 });
    const decide = () => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope: 'late' });
    await untilDecided(() => breaker.getTtl({ baseTtl: 60, vixStatus: 'calm', scope: 'warm' })); // scripts loaded
    await untilDecided(() => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'warm' }));
    while (clock.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    redis.server.pause();
    await redis.server.stopped();
    expect(await decide()).toMatchObject({ ttl: 0, failSafe: true, reason: 'store_timeout' });
    await new Promise((r) => setTimeout(r, 200)); // well inside the staleness bound (1 s): Redis will write the start
    redis.server.resume();
    while (clock.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    const before = await commandCalls(redis.client);
    expect(await decide()).toMatchObject({ tier: 1, failSafe: false });
    expect(scripts(diffCalls(before, await commandCalls(redis.client)))).toBe(0);
    await breaker.close();
  });
});

describe('3 real processes serving 500 scopes each, in publisher mode', () => {
  const redis = useRedisServer();

  it('when a panic ends, no process decides from the old start later than one sync interval (plus its round trip) after; the sync loop of each makes at most two rounds per interval', async () => {
    await presetPanics(redis.client, 500);
    const workers = await startWorkers('scope-sweep-worker.ts', 3, [redis.server.url, String(INTERVAL), '500']);
    try {
      for (const w of workers) w.send({ ms: 1000, watch: 'm-7' }); // warm: every scope synced
      await Promise.all(workers.map((w) => w.next()));
      for (const w of workers) w.send({ ms: 2500, watch: 'm-7' });
      await new Promise((r) => setTimeout(r, 1000));
      await redis.client.del(`${KEY}:m-7`); // the publisher saw calm
      const endedAt = Date.now();
      const reports = (await Promise.all(workers.map((w) => w.next()))) as Array<{ lastPanicAt: number; firstCalmAt: number | null; maxWatchedBatchMs: number; roundTripsPerSecond: number; syncRoundsPerSecond: number; failSafe: number }>;
      for (const report of reports) {
        expect(report.firstCalmAt).not.toBeNull();
        // A decision that still shows the panic used an answer younger than INTERVAL, read before the DEL.
        expect(report.lastPanicAt).toBeLessThanOrEqual(endedAt + INTERVAL + report.maxWatchedBatchMs + 5);
        // The sync loop's rounds: at most two per interval, whatever the number of scopes. (A process starved of CPU
        // also sends the reads of decisions whose synced answer got older than the interval meanwhile, one batch in
        // flight at a time: freshness first. Those are not rounds.)
        expect(report.syncRoundsPerSecond, JSON.stringify(report)).toBeLessThanOrEqual(1000 / (0.5 * INTERVAL) + 2);
        expect(report.syncRoundsPerSecond).toBeGreaterThan(0);
        expect(report.failSafe).toBe(0);
      }
    } finally {
      stopWorkers(workers);
    }
  }, 60_000);
});
