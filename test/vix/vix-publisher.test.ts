import { afterEach, describe, expect, it, vi } from 'vitest';
import { VixCircuitBreaker } from '../../src/breaker/vix-circuit-breaker.js';
import { MemoryPanicClock } from '../../src/clock/memory-panic-clock.js';
import type { PanicClock } from '../../src/clock/panic-clock.js';
import { InvalidConfigError } from '../../src/core/errors.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { VixPublisher, type PublishEvent } from '../../src/vix/vix-publisher.js';
import { captureLogger } from '../support/capture-logger.js';
import { MINUTE, START, stream } from './vix-streams.js';

const SHOCK = { scope: 'a', atMs: 20 * MINUTE, durationMs: 4 * MINUTE, volatility: 10 };
const publishers: VixPublisher[] = [];

function publisher(options: ConstructorParameters<typeof VixPublisher>[0]): VixPublisher {
  const p = new VixPublisher(options);
  publishers.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.close()));
});

/** Feeds ticks until `until(engine)` holds; returns the ticks left. */
function feedUntil(engine: VixEngine, ticks: unknown[], until: (engine: VixEngine) => boolean): unknown[] {
  for (let i = 0; i < ticks.length; i += 1) {
    engine.ingest(ticks[i]);
    if (until(engine)) return ticks.slice(i + 1);
  }
  throw new Error('the condition never held');
}

/** A real MemoryPanicClock whose first `failures` observe calls fail, like a store that is down for a while. */
function flakyClock(inner: PanicClock, failures: number, how: 'reject' | 'throw' = 'reject'): PanicClock & { calls: number } {
  const clock = Object.create(inner) as PanicClock & { calls: number };
  clock.calls = 0;
  clock.observe = (scope, kind) => {
    clock.calls += 1;
    if (clock.calls <= failures) {
      if (how === 'throw') throw new Error('store down (sync)');
      return Promise.reject(new Error('store down'));
    }
    return inner.observe(scope, kind);
  };
  return clock;
}

describe('publisher mode: the engine writes its panics to the shared clock', () => {
  it('panic and calm reach the clock, and a breaker without vixStatus reads them', async () => {
    const clock = new MemoryPanicClock();
    const engine = new VixEngine();
    const events: PublishEvent[] = [];
    const p = publisher({ engine, clock, hooks: { onPublish: (e) => events.push(e) } });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0 });
    const read = () => breaker.getTtl({ baseTtl: 60, scope: 'a', match: { league: 'Ligue 1' } });
    const rest = feedUntil(engine, stream({ seed: 81, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic');
    await p.idle();
    expect((await clock.inspect('a')).active).toBe(true);
    expect(await read()).toMatchObject({ tier: 1, ttl: 0, mode: 'PANIC_FULL', failSafe: false });
    feedUntil(engine, rest, (e) => e.status('a') === 'calm');
    await p.idle();
    expect((await clock.inspect('a')).active).toBe(false);
    expect(await read()).toMatchObject({ tier: 0, ttl: 60, mode: 'NORMAL' });
    expect(events.filter((e) => e.scope === 'a').map((e) => `${e.kind}/${e.reason}/${e.outcome}`)).toEqual(['panic/transition/ok', 'calm/transition/ok']);
    expect(p.published().get('a')).toBe('calm');
    await breaker.close();
  });

  it('calm ↔ elevated writes nothing; leaving panic for elevated writes calm', async () => {
    const clock = new MemoryPanicClock();
    const engine = new VixEngine();
    const events: PublishEvent[] = [];
    const p = publisher({ engine, clock, hooks: { onPublish: (e) => events.push(e) } });
    const seen: string[] = [];
    engine.onTransition((t) => t.scope === 'a' && seen.push(`${t.from}→${t.to}`));
    const nervous = { scope: 'a', atMs: 20 * MINUTE, durationMs: 2 * MINUTE, volatility: 1.6 };
    for (const tick of stream({ seed: 82, durationMs: 30 * MINUTE, events: [nervous] })) engine.ingest(tick);
    await p.idle();
    expect(seen).toEqual(['calm→elevated', 'elevated→calm']);
    expect(events).toEqual([]);
    const shockThenNervous = [SHOCK, { scope: 'a', atMs: 24 * MINUTE, durationMs: 20 * MINUTE, volatility: 1.3 }];
    const engine2 = new VixEngine();
    const p2 = publisher({ engine: engine2, clock, hooks: { onPublish: (e) => events.push(e) } });
    feedUntil(engine2, stream({ seed: 82, durationMs: 50 * MINUTE, events: shockThenNervous }), (e) => e.snapshot('a')?.statusSince !== null && e.status('a') === 'elevated');
    await p2.idle();
    expect(events.filter((e) => e.scope === 'a').map((e) => e.kind)).toEqual(['panic', 'calm']);
    expect((await clock.inspect('a')).active).toBe(false);
  });

  it('re-observes a live panic every refresh, so the dead man’s switch never ends it', async () => {
    let now = START;
    const clock = new MemoryPanicClock({ now: () => now, deadManSwitchSeconds: 60 });
    const engine = new VixEngine();
    const p = publisher({ engine, clock, refreshIntervalMs: 3_600_000 });
    feedUntil(engine, stream({ seed: 83, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic');
    await p.idle();
    const started = (await clock.inspect('a')).startedAtMs;
    for (let i = 0; i < 5; i += 1) {
      now += 50_000;
      await p.refresh();
    }
    expect(await clock.inspect('a')).toMatchObject({ active: true, startedAtMs: started });
    // Control: without a refresh the switch fires.
    now += 61_000;
    expect((await clock.inspect('a')).active).toBe(false);
  });

  it('the refresh timer fires on its own every refreshIntervalMs', async () => {
    const clock = new MemoryPanicClock();
    const engine = new VixEngine();
    const events: PublishEvent[] = [];
    publisher({ engine, clock, refreshIntervalMs: 20, hooks: { onPublish: (e) => events.push(e) } });
    feedUntil(engine, stream({ seed: 84, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic');
    await vi.waitFor(() => expect(events.filter((e) => e.reason === 'refresh' && e.scope === 'a').length).toBeGreaterThanOrEqual(2), { timeout: 2000 });
  });

  it('a failing clock is logged and retried; ingest never throws', async () => {
    for (const how of ['reject', 'throw'] as const) {
      const inner = new MemoryPanicClock();
      const clock = flakyClock(inner, 2, how);
      const engine = new VixEngine();
      const { logger, lines } = captureLogger('info');
      const p = publisher({ engine, clock, logger, retryDelayMs: 10 });
      expect(() => feedUntil(engine, stream({ seed: 85, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic')).not.toThrow();
      await vi.waitFor(async () => expect((await inner.inspect('a')).active).toBe(true), { timeout: 2000 });
      await p.idle();
      const failures = lines.filter((l) => l.msg === 'VIX_STATUS_PUBLISH_FAILED');
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures[0]).toMatchObject({ level: 40, scope: expect.any(String), status: 'panic', retry_in_ms: 10 });
      expect(lines.some((l) => l.msg === 'VIX_STATUS_PUBLISHED' && l.scope === 'a' && l.status === 'panic')).toBe(true);
    }
  });

  it('a write that hangs past timeoutMs counts as failed and is retried', async () => {
    const inner = new MemoryPanicClock();
    const clock = Object.create(inner) as PanicClock;
    let calls = 0;
    clock.observe = (scope, kind) => (++calls === 1 ? new Promise(() => {}) : inner.observe(scope, kind));
    const engine = new VixEngine();
    const events: PublishEvent[] = [];
    publisher({ engine, clock, timeoutMs: 20, retryDelayMs: 10, hooks: { onPublish: (e) => events.push(e) } });
    const unscoped = stream({ seed: 86, durationMs: 40 * MINUTE, scopes: [{ markets: 6, meanGapMs: 2000 }], events: [{ ...SHOCK, scope: undefined }] });
    feedUntil(engine, unscoped, (e) => e.status() === 'panic');
    await vi.waitFor(() => expect(events.map((e) => e.outcome)).toEqual(['error', 'ok']), { timeout: 2000 });
    expect(events[0]).toMatchObject({ scope: 'global', kind: 'panic', error: expect.stringMatching(/within 20 ms/) });
    expect(events[1]).toMatchObject({ scope: 'global', kind: 'panic', reason: 'retry' });
    expect((await inner.inspect()).active).toBe(true);
  });

  it('a panic the clock only read (the request went stale in a queue, as the PanicClock contract allows) is not published: it is retried at once, not left to the next refresh', async () => {
    const inner = new MemoryPanicClock();
    const clock = Object.create(inner) as PanicClock;
    let panics = 0;
    // The first panic write is answered as a stale request is: read, and there is no start.
    clock.observe = async (scope, kind) => (kind === 'panic' && ++panics === 1 ? { ...(await inner.observe(scope, 'read')) } : inner.observe(scope, kind));
    const engine = new VixEngine();
    const events: PublishEvent[] = [];
    const p = publisher({ engine, clock, refreshIntervalMs: 3_600_000, retryDelayMs: 10, hooks: { onPublish: (e) => events.push(e) } });
    feedUntil(engine, stream({ seed: 81, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic');
    await vi.waitFor(async () => expect((await inner.inspect('a')).active).toBe(true), { timeout: 5000 });
    await p.idle();
    const mine = events.filter((e) => e.scope === 'a');
    expect(mine.map((e) => `${e.kind}/${e.reason}/${e.outcome}`)).toEqual(['panic/transition/error', 'panic/retry/ok']);
    expect(mine[0]!.error).toMatch(/did not write the panic of a: .*only read/);
    expect(p.published().get('a')).toBe('panic');
  });

  it('a warm calm scope is written calm once, ending a panic left by an earlier publisher; a scope still warming up is left alone', async () => {
    const clock = new MemoryPanicClock();
    await clock.startPanic('a', { ageMs: 30 * MINUTE });
    await clock.startPanic('b', { ageMs: 30 * MINUTE });
    const engine = new VixEngine();
    const p = publisher({ engine, clock });
    const ticks = stream({ seed: 87, durationMs: 10 * MINUTE, scopes: [{ scope: 'a', markets: 4, meanGapMs: 2000 }, { scope: 'b', markets: 1, meanGapMs: 20_000 }] });
    feedUntil(engine, ticks, (e) => e.snapshot('a')?.warm === true);
    await p.refresh();
    expect((await clock.inspect('a')).active).toBe(false);
    expect(engine.snapshot('b')?.warm).toBe(false);
    expect((await clock.inspect('b')).active).toBe(true);
    expect(p.published().get('b')).toBeUndefined();
  });

  it('after close(), transitions are no longer written', async () => {
    const clock = new MemoryPanicClock();
    const engine = new VixEngine();
    const p = new VixPublisher({ engine, clock });
    await p.close();
    feedUntil(engine, stream({ seed: 88, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic');
    await new Promise((r) => setImmediate(r));
    expect((await clock.inspect('a')).active).toBe(false);
    await p.refresh();
    expect(p.published().size).toBe(0);
  });

  it('a publisher started while a scope already panics writes that panic at once', async () => {
    const clock = new MemoryPanicClock();
    const engine = new VixEngine();
    feedUntil(engine, stream({ seed: 89, durationMs: 40 * MINUTE, events: [SHOCK] }), (e) => e.status('a') === 'panic');
    const p = publisher({ engine, clock });
    await p.idle();
    expect((await clock.inspect('a')).active).toBe(true);
  });

  it('rejects bad options with an InvalidConfigError naming the field', () => {
    const clock = new MemoryPanicClock();
    expect(() => new VixPublisher({ engine: {} as VixEngine, clock })).toThrow(InvalidConfigError);
    expect(() => new VixPublisher({ engine: {} as VixEngine, clock })).toThrow(/^VixPublisher\.engine: must be a VixEngine$/);
    expect(() => new VixPublisher({ engine: new VixEngine(), clock: null as unknown as PanicClock })).toThrow(/VixPublisher\.clock/);
    expect(() => new VixPublisher({ engine: new VixEngine(), clock, refreshIntervalMs: 0 })).toThrow(/VixPublisher\.refreshIntervalMs/);
  });
});
