import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/clock/memory-panic-clock.js';
import type { PanicClock } from '../../src/clock/panic-clock.js';
import { RedisPanicClock } from '../../src/clock/redis-panic-clock.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { VixPublisher, type PublishEvent } from '../../src/vix/vix-publisher.js';
import { captureLogger } from '../support/capture-logger.js';
import { useRedisServer } from '../support/use-redis-server.js';
import { START } from './vix-streams.js';

/**
 * An engine with `count` scopes in panic (and global), made in a few thousand ticks:
 * fast options, three markets per scope, a calm stretch then returns ×70.
 */
function panickingEngine(count: number, exit: { exitDelayMs?: number } = {}): VixEngine {
  const engine = new VixEngine({ fastHalfLifeMs: 1000, warmupReturns: 4, warmupMs: 0, panic: { enterDelayMs: 0, ...exit }, elevated: { enterDelayMs: 0, ...exit } });
  for (let k = 0; k < 12; k += 1) {
    for (let s = 0; s < count; s += 1) {
      for (let m = 0; m < 3; m += 1) engine.ingest({ market: `s${s}/m${m}`, price: k % 2 ? (k >= 8 ? 4 : 2.02) : 2, ts: START + k * 1000 + s, scope: `s${s}` });
    }
  }
  for (let s = 0; s < count; s += 1) expect(engine.status(`s${s}`)).toBe('panic');
  return engine;
}

/** Calm ticks (no return) in `scopes` of a {@link panickingEngine} until each of them is calm. */
function calmDown(engine: VixEngine, scopes: string[]): void {
  for (let k = 12; scopes.some((scope) => engine.status(scope) !== 'calm'); k += 1) {
    expect(k).toBeLessThan(100);
    for (const scope of scopes) for (let m = 0; m < 3; m += 1) engine.ingest({ market: `${scope}/m${m}`, price: 2, ts: START + k * 1000 + Number(scope.slice(1)), scope });
  }
}

/** A real clock whose writes are counted as they go out and come back: how many were in flight at most, and when each started. */
function countingClock(inner: PanicClock): PanicClock & { maxInFlight: number; starts: number[]; scopes: string[] } {
  const clock = Object.create(inner) as PanicClock & { maxInFlight: number; starts: number[]; scopes: string[] };
  let inFlight = 0;
  clock.maxInFlight = 0;
  clock.starts = [];
  clock.scopes = [];
  clock.observe = async (scope, kind) => {
    inFlight += 1;
    clock.maxInFlight = Math.max(clock.maxInFlight, inFlight);
    clock.starts.push(performance.now());
    clock.scopes.push(scope ?? '');
    try {
      return await inner.observe(scope, kind);
    } finally {
      inFlight -= 1;
    }
  };
  return clock;
}

const publishers: VixPublisher[] = [];
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.close()));
});

describe('the publisher paces its writes below the clock’s own bound (real redis-server)', () => {
  const redis = useRedisServer({ flushBeforeEach: true });

  it('300 scopes in panic: every transition and every refresh write succeeds on a RedisPanicClock (maxInFlight 64), never more than maxConcurrentWrites at once, no busy, no error', async () => {
    const engine = panickingEngine(300);
    const clock = countingClock(new RedisPanicClock(redis.server.client(), { timeoutMs: 1000 }));
    const events: PublishEvent[] = [];
    const { logger, lines } = captureLogger('info');
    // A refresh every 2 s, its writes spread over 1 s.
    const p = new VixPublisher({ engine, clock, logger, refreshIntervalMs: 2000, hooks: { onPublish: (e) => events.push(e) } });
    publishers.push(p);
    await p.idle();
    await p.refresh();
    expect(events.filter((e) => e.reason === 'transition')).toHaveLength(301);
    expect(events.filter((e) => e.reason === 'refresh').length).toBeGreaterThanOrEqual(301);
    expect(new Set(events.map((e) => e.outcome))).toEqual(new Set(['ok']));
    expect(clock.maxInFlight).toBeLessThanOrEqual(8);
    expect(lines.filter((l) => l.msg === 'VIX_STATUS_PUBLISH_FAILED')).toEqual([]);
    expect(await redis.server.client().keys('brain:panic_start_ts*')).toHaveLength(301);
  });

  it('maxConcurrentWrites bounds the writes in flight (2 here); 0 or a fraction is refused at construction, naming the option', async () => {
    const engine = panickingEngine(40);
    const clock = countingClock(new RedisPanicClock(redis.server.client(), { timeoutMs: 1000 }));
    const events: PublishEvent[] = [];
    // A short refresh interval: a refresh's 41 writes are spread over half of it (over 30 s with the default minute).
    // Its own timer may then refresh again during the test; the bound holds across refreshes.
    const p = new VixPublisher({ engine, clock, maxConcurrentWrites: 2, refreshIntervalMs: 400, hooks: { onPublish: (e) => events.push(e) } });
    publishers.push(p);
    await p.idle();
    await p.refresh();
    expect(clock.maxInFlight).toBe(2);
    expect(events.filter((e) => e.reason === 'transition')).toHaveLength(41);
    expect(events.filter((e) => e.reason === 'refresh').length).toBeGreaterThanOrEqual(41);
    expect(new Set(events.map((e) => e.outcome))).toEqual(new Set(['ok']));
    for (const bad of [0, 1.5]) expect(() => new VixPublisher({ engine, clock, maxConcurrentWrites: bad })).toThrow(/VixPublisher\.maxConcurrentWrites/);
    expect(() => new VixPublisher({ engine, clock, maxPanicScopes: 0 })).toThrow(/VixPublisher\.maxPanicScopes/);
  });

  it('a refresh of many scopes is spread over half the refresh interval', async () => {
    const engine = panickingEngine(100);
    const clock = countingClock(new RedisPanicClock(redis.server.client(), { timeoutMs: 1000 }));
    const p = new VixPublisher({ engine, clock, refreshIntervalMs: 2000 });
    publishers.push(p);
    await p.idle();
    clock.starts.length = 0;
    clock.scopes.length = 0;
    await p.refresh();
    // On a starved machine the publisher's own timer (every 2 s) may start a refresh of its own during this one: it
    // writes some scopes twice and paces the rest again from then, so each scope's first write is what is measured.
    const firstWrite = new Map<string, number>();
    clock.scopes.forEach((scope, i) => firstWrite.has(scope) || firstWrite.set(scope, clock.starts[i]!));
    expect(firstWrite.size).toBe(101);
    // 101 writes, one every 1000 / 101 ms: the last goes out about a second after the first (timers never fire early).
    expect(Math.max(...firstWrite.values()) - Math.min(...firstWrite.values())).toBeGreaterThan(800);
  });

  it('a write the clock refuses as busy (store_busy) is reported busy, not error, and retried until it is written', async () => {
    const engine = panickingEngine(20);
    const events: PublishEvent[] = [];
    // The clock's own bound below the publisher's: a paused Redis fills it, the rest are refused at once.
    const clock = new RedisPanicClock(redis.server.client(), { timeoutMs: 100, maxInFlight: 4 });
    redis.server.pause();
    let p: VixPublisher;
    try {
      p = new VixPublisher({ engine, clock, retryDelayMs: 50, maxConcurrentWrites: 8, hooks: { onPublish: (e) => events.push(e) } });
      publishers.push(p);
      await p.idle();
    } finally {
      redis.server.resume();
    }
    expect(events.some((e) => e.outcome === 'busy' && /unanswered/.test(e.error ?? ''))).toBe(true);
    expect(events.filter((e) => e.outcome === 'busy').every((e) => e.error !== undefined)).toBe(true);
    await expect.poll(async () => (await redis.server.client().keys('brain:panic_start_ts*')).length, { timeout: 15_000 }).toBe(21);
  });
});

describe('failures are logged one line per round, with counts', () => {
  it('300 failing writes make one VIX_STATUS_PUBLISH_FAILED line per round, not one per write', async () => {
    const engine = panickingEngine(300);
    const inner = new MemoryPanicClock();
    let down = true;
    const clock = Object.create(inner) as PanicClock;
    clock.observe = (scope, kind) => (down ? Promise.reject(new Error('connection refused')) : inner.observe(scope, kind));
    const { logger, lines } = captureLogger('info');
    const events: PublishEvent[] = [];
    const p = new VixPublisher({ engine, clock, logger, retryDelayMs: 20, hooks: { onPublish: (e) => events.push(e) } });
    publishers.push(p);
    await p.idle();
    const failed = () => lines.filter((l) => l.msg === 'VIX_STATUS_PUBLISH_FAILED');
    expect(failed()).toHaveLength(1);
    expect(failed()[0]).toMatchObject({ level: 40, failed: 301, busy: 0, err: 'connection refused', errors: { 'connection refused': 301 }, retry_in_ms: 20 });
    // The retry rounds fail alike, one line each, the delay doubling.
    await expect.poll(() => failed().length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(failed().slice(0, 3).map((l) => [l.failed, l.retry_in_ms])).toEqual([
      [301, 20],
      [301, 40],
      [301, 80],
    ]);
    down = false;
    await expect.poll(async () => (await inner.inspect('s299')).active, { timeout: 5000 }).toBe(true);
    expect(events.filter((e) => e.outcome === 'error').length).toBeGreaterThanOrEqual(903);
  });
});

describe('the publisher holds at most maxPanicScopes scopes in panic on the clock (real redis-server)', () => {
  const redis = useRedisServer();

  it('1,200 scopes in panic write 1,001 keys (1,000 and global); the rest are limited, logged once, and written when held panics end', async () => {
    const engine = panickingEngine(1200, { exitDelayMs: 0 });
    const events: PublishEvent[] = [];
    const { logger, lines } = captureLogger('info');
    const p = new VixPublisher({ engine, clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 1000 }), logger, refreshIntervalMs: 2000, hooks: { onPublish: (e) => events.push(e) } });
    publishers.push(p);
    await p.idle();
    const keys = async () => (await redis.server.client().keys('brain:panic_start_ts*')).length;
    expect(await keys()).toBe(1001);
    expect(p.panicScopes).toEqual({ held: 1000, max: 1000 });
    const limited = events.filter((e) => e.outcome === 'limited');
    expect(limited).toHaveLength(200); // once per panic held back, however many refreshes
    expect(limited.every((e) => e.kind === 'panic' && e.scope !== 'global')).toBe(true);
    expect(lines.filter((l) => String(l.msg).startsWith('VIX_PUBLISH_SCOPE_LIMIT'))).toEqual([expect.objectContaining({ level: 40, held: 1000, max: 1000, waiting: 1 })]);
    // A refresh writes no panic past the bound either.
    await p.refresh();
    expect(await keys()).toBe(1001);
    // 300 held scopes calm down: their keys go, and the 200 panics waiting take their places.
    const held = [...p.published()].filter(([scope, kind]) => kind === 'panic' && scope !== 'global').map(([scope]) => scope);
    calmDown(engine, held.slice(0, 300));
    await p.idle();
    expect(await keys()).toBe(901);
    expect(p.panicScopes.held).toBe(900);
    expect([...p.published()].filter(([, kind]) => kind === 'panic')).toHaveLength(901);
  });
});
