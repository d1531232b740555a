import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/clock/redis-panic-clock.js';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { VixPublisher } from '../../src/vix/vix-publisher.js';
import { RedisServer } from '../support/redis-server.js';
import { feed, MINUTE, of, recordingEngine, START, stream } from './vix-streams.js';

const HOUR = 60 * MINUTE;
const ATTACK_AT = START + 20 * MINUTE;
const SHOCK_AT = 40 * MINUTE;
const SCOPES = [
  { scope: 'a', markets: 4, meanGapMs: 2000 },
  { scope: 'b', markets: 4, meanGapMs: 2000 },
];
/** The kinds of far-future tick the issue lists, as of the tick time `at`. */
const farFuture = (at: number) => [
  { market: 'x/9999', price: 2, ts: '9999-12-31T23:59:59Z', scope: 'x9999' },
  { market: 'a/m1', price: 2, ts: at * 1000, scope: 'a' }, // microseconds instead of ms, from a real market
  { market: 'x/local', price: 2, ts: new Date(at + 2 * HOUR).toISOString(), scope: 'b' }, // local time (UTC+2) labelled Z
  { market: 'x/half-hour', price: 2, ts: at + 31 * MINUTE },
  { market: 'x/day', price: 2, ts: at + 24 * HOUR, scope: 'x-day' },
];

/** Ticks of the stream before `at`, the ticks given, then the rest of the stream. */
function withTicksAt(ticks: unknown[], at: number, inserted: unknown[]): unknown[] {
  const i = ticks.findIndex((t) => (t as { ts: number }).ts >= at);
  return [...ticks.slice(0, i), ...inserted, ...ticks.slice(i)];
}

describe('a tick from the future cannot end panics or stop the engine', () => {
  it('a handful of far-future ticks (9999-12-31, microseconds, local time labelled Z, +31 min, +1 day) are rejected future_ts and change nothing', () => {
    const ticks = stream({ seed: 101, durationMs: 30 * MINUTE, scopes: SCOPES });
    const { engine, transitions } = recordingEngine();
    feed(engine, ticks.filter((t) => (t as { ts: number }).ts < ATTACK_AT));
    const before = { snapshots: engine.snapshots(), stats: engine.stats() };
    const answers = farFuture(ATTACK_AT).map((t) => engine.ingest(t));
    expect(answers).toEqual(Array(5).fill({ accepted: false, reason: 'future_ts', rule: 'reject' }));
    expect(engine.snapshots()).toEqual(before.snapshots);
    expect(engine.stats()).toEqual({ ...before.stats, rejected: 5, byReason: { ...before.stats.byReason, future_ts: 5 } });
    expect(transitions).toEqual([]);
  });

  it('after them, no scope goes idle, a real shock still panics global and its scopes, and idle expiry still works', () => {
    const ticks = stream({ seed: 102, durationMs: 50 * MINUTE, scopes: SCOPES, events: [{ atMs: SHOCK_AT, durationMs: 4 * MINUTE, volatility: 10 }] });
    const { engine, transitions } = recordingEngine();
    feed(engine, withTicksAt(ticks, ATTACK_AT, farFuture(ATTACK_AT)));
    expect(engine.stats().byReason.future_ts).toBe(5);
    expect(transitions.filter((t) => t.cause === 'idle')).toEqual([]);
    const { enterDelayMs } = engine.options.panic;
    for (const scope of ['global', 'a', 'b']) {
      const panic = of(transitions, scope).find((t) => t.to === 'panic');
      expect(panic, scope).toBeDefined();
      expect(panic!.ts - (START + SHOCK_AT)).toBeLessThanOrEqual(enterDelayMs + engine.options.fastHalfLifeMs);
    }
    expect(engine.snapshots().map((s) => s.scope)).toEqual(['global', 'a', 'b']);
    // Then b's feed stops and a's goes on: b is dropped scopeIdleMs after its last tick, at the time a's ticks bring.
    const lastOfB = Math.max(...ticks.filter((t) => (t as { scope: string }).scope === 'b').map((t) => (t as { ts: number }).ts));
    const later = [...simulateTicks({ seed: 103, startMs: START + 50 * MINUTE, durationMs: 35 * MINUTE, scopes: [{ scope: 'a', markets: 4, meanGapMs: 2000 }] })].map((r) => r.tick);
    feed(engine, later);
    expect(engine.snapshot('b')).toBeNull();
    expect(engine.snapshot('a')).not.toBeNull();
    expect(of(transitions, 'b').at(-1)).toMatchObject({ to: 'calm' });
    expect(engine.stats().timeMs! - lastOfB).toBeGreaterThan(engine.options.scopeIdleMs);
  });

  it('a tick up to maxLeadMs ahead is taken, but one market cannot walk the time further tick by tick', () => {
    const engine = new VixEngine();
    const lead = engine.options.maxLeadMs;
    expect(lead).toBe(5 * MINUTE);
    engine.ingest({ market: 'x', price: 2, ts: START });
    engine.ingest({ market: 'y', price: 2, ts: START + 1000 });
    expect(engine.ingest({ market: 'z', price: 2, ts: START + lead }).accepted).toBe(true);
    expect(engine.ingest({ market: 'z', price: 2, ts: START + 2 * lead - 1 })).toMatchObject({ reason: 'future_ts' });
    expect(engine.ingest({ market: 'w', price: 2, ts: START + 1000 + lead + 1 })).toMatchObject({ reason: 'future_ts' });
    expect(engine.stats().timeMs).toBe(START + lead);
    // As the rest of the feed catches up, the time moves on.
    expect(engine.ingest({ market: 'y', price: 2, ts: START + lead }).accepted).toBe(true);
    expect(engine.ingest({ market: 'z', price: 2, ts: START + 2 * lead - 1 }).accepted).toBe(true);
  });

  it('property: no handful (≤ 8) of ticks, at any time and on any markets, makes a scope of a live feed idle', () => {
    const ticks = stream({ seed: 104, durationMs: 24 * MINUTE, scopes: SCOPES });
    const before = ticks.filter((t) => (t as { ts: number }).ts < ATTACK_AT);
    const after = ticks.filter((t) => (t as { ts: number }).ts >= ATTACK_AT);
    const market = fc.constantFrom('a/m1', 'a/m2', 'b/m1', 'n1', 'n2', 'n3', 'n4', 'n5');
    const ts = fc.oneof(fc.integer({ min: ATTACK_AT, max: ATTACK_AT + 2 * HOUR }), fc.integer({ min: ATTACK_AT, max: 8.64e15 }), fc.constant(ATTACK_AT * 1000));
    const attack = fc.array(fc.record({ market, ts, scope: fc.constantFrom('a', 'b', 'n', undefined) }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(attack, (handful) => {
        const { engine, transitions } = recordingEngine();
        feed(engine, before);
        for (const tick of handful.sort((p, q) => p.ts - q.ts)) engine.ingest({ ...tick, price: 2 });
        feed(engine, after);
        expect(transitions.filter((t) => t.cause === 'idle')).toEqual([]);
        expect(engine.snapshot('a')!.lastTs).toBeGreaterThan(ATTACK_AT);
        expect(engine.snapshot('b')!.lastTs).toBeGreaterThan(ATTACK_AT);
        expect(engine.stats().timeMs! - ATTACK_AT).toBeLessThan(engine.options.scopeIdleMs);
      }),
      { numRuns: 60, seed: 104 },
    );
  });

  it('16 ticks of one market dated 9999-12-31, in a row (no notAfterMs), are future_ts and end no panic: one market is no quorum', () => {
    const { engine, transitions } = recordingEngine();
    const ticks = stream({ seed: 108, durationMs: 30 * MINUTE, scopes: SCOPES, events: [{ atMs: 15 * MINUTE, durationMs: 15 * MINUTE, volatility: 10 }] });
    feed(engine, ticks.filter((t) => (t as { ts: number }).ts < ATTACK_AT + 5 * MINUTE));
    expect(['global', 'a', 'b'].map((s) => engine.status(s))).toEqual(['panic', 'panic', 'panic']);
    const time = engine.stats().engineTimeMs;
    const far = Date.parse('9999-12-31T23:59:59Z');
    for (let i = 0; i < 16; i += 1) expect(engine.ingest({ market: 'evil', price: 2, ts: far - 16 + i })).toMatchObject({ reason: 'future_ts' });
    // …nor do 1,000 of them, from one market or from one of the live feed's own.
    for (let i = 0; i < 1000; i += 1) engine.ingest({ market: i % 2 ? 'evil' : 'a/m1', price: 2, ts: far - 1000 + i });
    expect(engine.stats()).toMatchObject({ engineTimeMs: time, leaps: { forward: 0, backward: 0 } });
    expect(['global', 'a', 'b'].map((s) => engine.status(s))).toEqual(['panic', 'panic', 'panic']);
    expect(transitions.filter((t) => t.ts >= ATTACK_AT + 5 * MINUTE)).toEqual([]);
  });

  it('two colluding markets stepping 299 s ahead of each other move nothing in 100 ticks (they needed 14)', () => {
    const { engine, transitions } = recordingEngine();
    const ticks = stream({ seed: 109, durationMs: 25 * MINUTE, scopes: SCOPES });
    feed(engine, ticks);
    const time = engine.stats().timeMs!;
    for (let t = time, n = 0; n < 100; n += 2) {
      t += 299_000;
      engine.ingest({ market: 'p', price: 2, ts: t });
      engine.ingest({ market: 'q', price: 2, ts: t });
    }
    expect(engine.snapshots().map((s) => s.scope)).toEqual(['global', 'a', 'b']);
    expect(transitions.filter((t) => t.cause === 'idle')).toEqual([]);
    // The first pair is within maxLeadMs, and taken; the 98 ticks after it are not.
    expect(engine.stats().byReason.future_ts).toBe(98);
    expect(engine.stats().engineTimeMs! - time).toBeLessThanOrEqual(engine.options.maxLeadMs);
  });

  it('property: no two markets, with up to 64 ticks in a row at any times, move the time of a live feed of 8 markets or make a scope idle', () => {
    const ticks = stream({ seed: 110, durationMs: 24 * MINUTE, scopes: SCOPES });
    const before = ticks.filter((t) => (t as { ts: number }).ts < ATTACK_AT);
    const after = ticks.filter((t) => (t as { ts: number }).ts >= ATTACK_AT);
    const pair = fc.constantFrom(['p', 'q'], ['a/m1', 'p'], ['a/m1', 'b/m2']);
    const ts = fc.oneof(fc.integer({ min: ATTACK_AT, max: ATTACK_AT + 2 * HOUR }), fc.integer({ min: ATTACK_AT, max: 8.64e15 }));
    const attack = fc.tuple(pair, fc.array(fc.record({ first: fc.boolean(), ts, scope: fc.constantFrom('a', 'b', undefined) }), { minLength: 1, maxLength: 64 }));
    fc.assert(
      fc.property(attack, ([markets, run]) => {
        const { engine, transitions } = recordingEngine();
        feed(engine, before);
        const time = engine.stats().engineTimeMs!;
        for (const tick of run.sort((p, q) => p.ts - q.ts)) engine.ingest({ market: tick.first ? markets[0] : markets[1], price: 2, ts: tick.ts, scope: tick.scope });
        expect(engine.stats().engineTimeMs! - time).toBeLessThanOrEqual(engine.options.maxLeadMs);
        expect(engine.stats().leaps.forward).toBe(0);
        feed(engine, after);
        expect(transitions.filter((t) => t.cause === 'idle')).toEqual([]);
        expect(engine.snapshot('a')!.lastTs).toBeGreaterThan(ATTACK_AT);
        expect(engine.snapshot('b')!.lastTs).toBeGreaterThan(ATTACK_AT);
      }),
      { numRuns: 40, seed: 110 },
    );
  });

  it('the whole feed moving on (a replay across a night) is followed after leapTicks ticks in a row', () => {
    const { engine, transitions } = recordingEngine();
    const evening = stream({ seed: 105, durationMs: 20 * MINUTE, scopes: SCOPES });
    const morning = [...simulateTicks({ seed: 106, startMs: START + 10 * HOUR, durationMs: 5 * MINUTE, scopes: [{ scope: 'c', markets: 4, meanGapMs: 2000 }] })].map((r) => r.tick);
    feed(engine, evening);
    const accepted = feed(engine, morning);
    const { leapTicks } = engine.options;
    expect(leapTicks).toBe(16);
    expect(engine.stats().byReason.future_ts).toBe(leapTicks - 1);
    expect(accepted).toBe(morning.length - (leapTicks - 1));
    expect(engine.snapshots().map((s) => s.scope)).toEqual(['global', 'c']);
    expect(transitions.filter((t) => t.cause === 'idle')).toEqual([]); // a and b were calm: dropped, no transition
  });

  it('notAfterMs (the service’s wall clock plus its skew) rejects a later tick as future_ts, even the first one', () => {
    const engine = new VixEngine();
    expect(engine.ingest({ market: 'x', price: 2, ts: START + 1 }, { notAfterMs: START })).toEqual({ accepted: false, reason: 'future_ts', rule: 'reject' });
    expect(engine.ingestBatch([{ market: 'x', price: 2, ts: START }, { market: 'x', price: 2, ts: START + 1 }], { notAfterMs: START }).rejections).toEqual([{ index: 1, reason: 'future_ts', rule: 'reject' }]);
    expect(engine.stats()).toMatchObject({ accepted: 1, byReason: { future_ts: 2 } });
  });

  it('advanceTo (the wall clock) is the time ticks are judged against when the feed was silent', () => {
    const engine = new VixEngine();
    engine.ingest({ market: 'x', price: 2, ts: START });
    expect(engine.ingest({ market: 'x', price: 2, ts: START + HOUR })).toMatchObject({ reason: 'future_ts' });
    engine.advanceTo(START + HOUR - MINUTE);
    expect(engine.ingest({ market: 'x', price: 2, ts: START + HOUR }).accepted).toBe(true);
  });

  it('maxLeadMs is at most half of scopeIdleMs, and defaults to a sixth of it', () => {
    expect(() => new VixEngine({ scopeIdleMs: 10 * MINUTE, maxLeadMs: 6 * MINUTE })).toThrow(/VixEngine\.maxLeadMs: must be at most half of scopeIdleMs \(300000\), got 360000/);
    expect(new VixEngine({ scopeIdleMs: 12 * MINUTE }).options.maxLeadMs).toBe(2 * MINUTE);
  });
});

describe('the attack on a live service’s Redis: panics published to a real RedisPanicClock survive far-future ticks', () => {
  let server: RedisServer;
  let redis: Redis;
  let publisher: VixPublisher;
  const engine = new VixEngine();

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    publisher = new VixPublisher({ engine, clock: new RedisPanicClock(server.client(), { timeoutMs: 1000 }), refreshIntervalMs: 60_000 });
  });

  afterAll(async () => {
    await publisher?.close();
    await server?.stop();
  });

  it('after a 9999-12-31 tick and a microseconds tick, global, a and b stay in panic and their Redis starts are not deleted', async () => {
    const ticks = stream({ seed: 107, durationMs: 30 * MINUTE, scopes: SCOPES, events: [{ atMs: 15 * MINUTE, durationMs: 10 * MINUTE, volatility: 10 }] });
    let i = 0;
    const scopes = ['global', 'a', 'b'];
    while (!scopes.every((s) => engine.status(s) === 'panic')) engine.ingest(ticks[i++]);
    await publisher.idle();
    const keys = ['brain:panic_start_ts', 'brain:panic_start_ts:a', 'brain:panic_start_ts:b'];
    const starts = await redis.mget(...keys);
    expect(starts.every((s) => s !== null)).toBe(true);

    const now = (ticks[i - 1] as { ts: number }).ts;
    expect(engine.ingest({ market: 'a/m1', price: 3, ts: '9999-12-31T23:59:59Z', scope: 'a' })).toMatchObject({ reason: 'future_ts' });
    expect(engine.ingest({ market: 'b/m2', price: 3, ts: now * 1000, scope: 'b' })).toMatchObject({ reason: 'future_ts' });
    for (let n = 0; n < 200; n += 1) engine.ingest(ticks[i++]); // the feed goes on, still in the shock
    await publisher.refresh();
    expect(scopes.map((s) => engine.status(s))).toEqual(['panic', 'panic', 'panic']);
    expect(await redis.mget(...keys)).toEqual(starts);
  });
});
