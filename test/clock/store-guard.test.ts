import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidConfigError, RedisCacheStore, RedisPanicClock, StoreBusyError, VixCircuitBreaker } from '../../src/index.js';
import { StoreGuard } from '../../src/core/store-guard.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { RedisServer } from '../support/redis-server.js';
import { untilDecided } from '../support/until-settled.js';

let server: RedisServer;
let admin: Redis;

beforeEach(async () => {
  server = await RedisServer.start();
  admin = server.client();
});
afterEach(async () => server.stop());

function scripts(delta: Record<string, number>): number {
  return (delta.evalsha ?? 0) + (delta.eval ?? 0);
}

/** Loads the script and lets the clock learn Redis's time, however loaded the machine; then nothing is in flight. */
async function warmUp(clock: RedisPanicClock): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await clock.observe('warm-up', 'panic');
      break;
    } catch (error) {
      if (attempt >= 100) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await settle(() => clock.inFlight === 0);
}

async function settle(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('did not settle in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the panic clock bounds its commands in flight (maxInFlight), per clock, over every key', () => {
  it('200 panic observations of new scopes while redis-server is SIGSTOPped: 8 are sent, 192 fail at once with StoreBusyError, and none writes a start after SIGCONT', async () => {
    const clock = new RedisPanicClock(server.client(), { timeoutMs: 50, maxInFlight: 8 });
    await warmUp(clock);
    const late: Array<{ scope: string; active: boolean }> = [];
    clock.onLateObservation(({ scope, observation }) => late.push({ scope, active: observation.active }));
    const before = await commandCalls(admin);
    server.pause();
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => clock.observe(`new-${i}`, 'panic')));
    const busy = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof StoreBusyError);
    expect(busy).toHaveLength(192);
    expect((busy[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'VIX_TTL_STORE_BUSY', message: expect.stringContaining('maxInFlight') });
    expect(clock.inFlight).toBe(8);
    // Later calls, on any key, are refused at once while the 8 stay unanswered.
    const started = performance.now();
    await expect(clock.observe('another', 'calm')).rejects.toBeInstanceOf(StoreBusyError);
    expect(performance.now() - started).toBeLessThan(20);
    await new Promise((r) => setTimeout(r, 1500)); // past the staleness bound (max(1 s, 20 × timeoutMs))
    server.resume();
    await settle(() => clock.inFlight === 0);
    expect(scripts(diffCalls(before, await commandCalls(admin)))).toBe(8);
    // The 8 queued panics were seen 1.5 s before Redis ran them: they only read, and say so late.
    expect(await admin.keys('brain:panic_start_ts:new-*')).toEqual([]);
    expect(late.sort((a, b) => a.scope.localeCompare(b.scope, 'en', { numeric: true }))).toEqual(Array.from({ length: 8 }, (_, i) => ({ scope: `new-${i}`, active: false })));
    expect((await clock.observe('new-0', 'panic')).created).toBe(true);
  });

  it('a batch of 100 scopes is one command in flight; while Redis is paused the next batch is not sent, and the late answers come per scope', async () => {
    const clock = new RedisPanicClock(server.client(), { timeoutMs: 50, maxInFlight: 1 });
    await warmUp(clock);
    // Redis knows the batch script too (else its first run is EVALSHA, then EVAL), however loaded the machine.
    for (let attempt = 0; !(await clock.observeMany!([{ scope: 'warm-up', kind: 'read' }]))[0]!.ok; attempt += 1) {
      if (attempt >= 100) throw new Error('redis-server never answered the batch script within 50 ms');
      await settle(() => clock.inFlight === 0);
    }
    await settle(() => clock.inFlight === 0);
    const late: Array<{ scope: string; active: boolean }> = [];
    clock.onLateObservation(({ scope, observation }) => late.push({ scope, active: observation.active }));
    const before = await commandCalls(admin);
    server.pause();
    const started = performance.now();
    const results = await clock.observeMany!(Array.from({ length: 100 }, (_, i) => ({ scope: `b-${i}`, kind: 'panic' as const })));
    expect(performance.now() - started).toBeLessThan(1000); // timeoutMs 50, with a margin for a loaded machine
    expect(results.every((r) => !r.ok && r.error instanceof Error && (r.error as { code?: string }).code === 'VIX_TTL_STORE_TIMEOUT')).toBe(true);
    expect(clock.inFlight).toBe(1);
    const refused = await clock.observeMany!([{ scope: 'another', kind: 'read' }]);
    expect(refused[0]).toMatchObject({ ok: false, error: { code: 'VIX_TTL_STORE_BUSY' } });
    await expect(clock.observe('single', 'read')).rejects.toBeInstanceOf(StoreBusyError);
    server.resume();
    await settle(() => clock.inFlight === 0 && late.length === 100);
    expect(scripts(diffCalls(before, await commandCalls(admin)))).toBe(1);
    expect(new Set(late.map((l) => l.scope)).size).toBe(100);
    expect(late.every((l) => l.active)).toBe(true); // resumed before the staleness bound: the panics were written
  });

  it('a key the clock never saw is judged by Redis\'s time learned on another key: its panic, queued behind a pause, is not started late', async () => {
    const clock = new RedisPanicClock(server.client(), { timeoutMs: 50 });
    await warmUp(clock); // knows Redis's time, from another key only
    const freshClient = server.client();
    if (freshClient.status !== 'ready') await new Promise((resolve) => freshClient.once('ready', resolve));
    const freshOther = new RedisPanicClock(freshClient, { timeoutMs: 50 }); // connected, knows nothing yet
    server.pause();
    await expect(clock.observe('never-seen', 'panic')).rejects.toMatchObject({ code: 'VIX_TTL_STORE_TIMEOUT' });
    // A clock that never had Redis's time asks for it first (a read-only script): its panic is never sent.
    await expect(freshOther.observe('never-seen-either', 'panic')).rejects.toMatchObject({ code: 'VIX_TTL_STORE_TIMEOUT' });
    await new Promise((r) => setTimeout(r, 1500));
    server.resume();
    await settle(() => clock.inFlight === 0 && freshOther.inFlight === 0);
    expect(await admin.exists('brain:panic_start_ts:never-seen')).toBe(0);
    expect(await admin.exists('brain:panic_start_ts:never-seen-either')).toBe(0);
  });

  it('the breaker sends one batch to a hung Redis, and turns the next, refused unsent, into store_busy fail-safe decisions', async () => {
    const clock = new RedisPanicClock(server.client(), { timeoutMs: 50, maxInFlight: 1 });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, timeoutMs: 50 });
    await untilDecided(() => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'warm' }));
    await settle(() => clock.inFlight === 0);
    const before = await commandCalls(admin);
    server.pause();
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `s-${i}` })));
    expect(first.map((d) => d.reason)).toEqual(Array.from({ length: 10 }, () => 'store_timeout'));
    expect(clock.inFlight).toBe(1); // ten scopes, one command
    const next = await Promise.all(Array.from({ length: 10 }, (_, i) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `t-${i}` })));
    expect(next.map((d) => d.reason)).toEqual(Array.from({ length: 10 }, () => 'store_busy'));
    expect([...first, ...next].every((d) => d.ttl === 0 && d.failSafe)).toBe(true);
    server.resume();
    await settle(() => clock.inFlight === 0);
    expect(scripts(diffCalls(before, await commandCalls(admin)))).toBe(1);
    await breaker.close();
  });

  it('maxInFlight is validated, naming the field', () => {
    for (const maxInFlight of [0, -1, 1.5, '64', Number.NaN]) {
      try {
        new RedisPanicClock(admin, { maxInFlight } as never);
        expect.unreachable(`accepted maxInFlight ${String(maxInFlight)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe('RedisPanicClock.maxInFlight');
      }
    }
    expect(() => new StoreGuard(50, { maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});

describe('the adaptive cache bounds its store commands in flight too', () => {
  it('500 concurrent reads of new keys while redis-server is SIGSTOPped: at most 64 commands are sent, every call still gets its value', async () => {
    const cache = new AdaptiveCache({ breaker: new VixCircuitBreaker({ clock: null }), store: new RedisCacheStore(server.client()), timeoutMs: 50 });
    await cache.getOrLoad('warm-up', () => 1, { baseTtl: 60, vixStatus: 'calm' });
    const before = await commandCalls(admin);
    server.pause();
    const values = await Promise.all(Array.from({ length: 500 }, (_, i) => cache.getOrLoadWithMeta(`k-${i}`, () => i, { baseTtl: 60, vixStatus: 'calm' })));
    expect(values.map((v) => v.value)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(values.filter((v) => v.storeFailure === 'busy').length).toBeGreaterThanOrEqual(500 - 64);
    server.resume();
    await new Promise((r) => setTimeout(r, 500));
    expect(scripts(diffCalls(before, await commandCalls(admin)))).toBeLessThanOrEqual(64);
  });
});
