import { describe, expect, it } from 'vitest';
import {
  AdaptivePanicQuota,
  InvalidConfigError,
  MemoryPanicClock,
  ShadowLedger,
  VixCircuitBreaker,
  shadowDecision,
  type DecisionEvent,
  type GetTtlInput,
  type PanicClock,
  type TtlDecision,
} from '../../src/index.js';
import { captureLogger } from '../support/capture-logger.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 5, 14, 20, 0, 0);

/** A live breaker and a shadow one, each on its own clock moved by the same hand. */
function pair(options: { maxPanicScopes?: number } = {}) {
  let now = T0;
  const make = (shadow: boolean) => {
    const { logger, lines } = captureLogger('info');
    const events: DecisionEvent[] = [];
    const breaker = new VixCircuitBreaker({
      clock: new MemoryPanicClock({ now: () => now }),
      syncIntervalMs: 0,
      now: () => now,
      shadow,
      logger,
      maxPanicScopes: options.maxPanicScopes,
      hooks: { onDecision: (e) => events.push(e) },
    });
    return { breaker, lines, events };
  };
  return { live: make(false), shadow: make(true), advance: (ms: number) => (now += ms) };
}

/** What a caller gets without vix-ttl: its base TTL, no panic. */
const withoutVixTtl = (baseTtl: number, match?: GetTtlInput['match']) => new AdaptivePanicQuota().calculateTtlStrategy(baseTtl, null, match);

describe('a breaker in shadow mode answers the base TTL, with the decision that would have applied as shadow', () => {
  it('through a whole medium-stakes panic, each answer is the base TTL and its shadow is exactly the live decision', async () => {
    const { live, shadow, advance } = pair();
    const calm: GetTtlInput = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Premier League' } };
    const panic: GetTtlInput = { ...calm, vixStatus: 'panic' };
    const seen: number[] = [];
    for (const [minutes, input] of [[0, calm], [0, panic], [29, panic], [1, panic], [60, panic], [90, panic], [5, calm]] as const) {
      advance(minutes * MIN);
      const expected = await live.breaker.getTtl(input);
      const answer = await shadow.breaker.getTtl(input);
      expect(answer).toEqual({ ...withoutVixTtl(60, input.match), shadow: expected });
      seen.push(expected.tier);
    }
    expect(seen).toEqual([0, 1, 1, 2, 3, 4, 0]);
    expect(shadow.breaker.shadow).toBe(true);
    expect(live.breaker.shadow).toBe(false);
  });

  it('a live breaker answers no shadow field at all', async () => {
    const { live } = pair();
    const answer = await live.breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    expect('shadow' in answer).toBe(false);
  });

  it('peekTtl answers the same way from the sync window', async () => {
    let now = T0;
    const clock = new MemoryPanicClock({ now: () => now });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 1000, now: () => now, shadow: true });
    await breaker.getTtl({ baseTtl: 30, vixStatus: 'panic' });
    now += 10;
    const peeked = breaker.peekTtl({ baseTtl: 30, vixStatus: 'panic' });
    expect(peeked).toMatchObject({ ttl: 30, mode: 'NORMAL', tier: 0, failSafe: false, shadow: { ttl: 0, tier: 1, mode: 'PANIC_FULL', failSafe: false } });
  });

  it('the panic is still written to the shared clock: a live breaker on the same clock sees the start the shadow one wrote', async () => {
    let now = T0;
    const clock = new MemoryPanicClock({ now: () => now });
    const shadow = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: () => now, shadow: true });
    const live = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: () => now });
    await shadow.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    now += 40 * MIN;
    expect(await live.getTtl({ baseTtl: 60 })).toMatchObject({ tier: 2, ttl: 5 });
  });
});

describe('fail-safe in shadow mode: the caller still gets its base TTL; the shadow says failSafe', () => {
  it('no clock: shadow failSafe no_clock, answer 60', async () => {
    const breaker = new VixCircuitBreaker({ clock: null, shadow: true });
    expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })).toEqual({
      ...withoutVixTtl(60),
      shadow: { ttl: 0, mode: 'PANIC_FULL', tier: 1, importance: 'medium_stakes', panicDurationMin: null, nextTierInMin: null, failSafe: true, reason: 'no_clock' },
    });
  });

  it('a clock that fails (store_error) or hangs past timeoutMs (store_timeout)', async () => {
    // observe and observeMany (the breaker's batched call) alike.
    const fail = () => Promise.reject(new Error('ECONNRESET'));
    const hang = () => new Promise(() => {});
    const failing: PanicClock = Object.assign(Object.create(new MemoryPanicClock()) as PanicClock, { observe: fail, observeMany: fail });
    const hanging: PanicClock = Object.assign(Object.create(new MemoryPanicClock()) as PanicClock, { observe: hang, observeMany: hang });
    for (const [clock, reason] of [[failing, 'store_error'], [hanging, 'store_timeout']] as const) {
      const breaker = new VixCircuitBreaker({ clock, shadow: true, syncIntervalMs: 0, timeoutMs: 20 });
      const answer = await breaker.getTtl({ baseTtl: 45, vixStatus: 'panic', match: { importance: 'high_stakes' } });
      expect(answer).toMatchObject({ ttl: 45, mode: 'NORMAL', tier: 0, failSafe: false, importance: 'high_stakes', shadow: { ttl: 0, tier: 1, failSafe: true, reason } });
      expect(answer.reason).toBeUndefined();
    }
  });

  it('a panic refused past maxPanicScopes (scope_limit) answers the base TTL too', async () => {
    const { shadow } = pair({ maxPanicScopes: 1 });
    await shadow.breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'a' });
    const refused = await shadow.breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'b' });
    expect(refused).toMatchObject({ ttl: 60, tier: 0, failSafe: false, shadow: { ttl: 0, failSafe: true, reason: 'scope_limit' } });
    expect(shadow.events.at(-1)).toMatchObject({ scope: 'b', decision: { reason: 'scope_limit' }, served: { ttl: 60 } });
    const warn = shadow.lines.find((l) => l.msg === 'VIX_TTL_PANIC_SCOPE_LIMIT');
    expect(warn).toMatchObject({ action: 'shadow_base_ttl_served' });
  });
});

describe('in shadow mode decisions are reported and logged as usual', () => {
  it('onDecision carries the decision taken and, as served, what the caller got; live it has no served', async () => {
    const { live, shadow, advance } = pair();
    const input = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 2' } } as const;
    await live.breaker.getTtl(input);
    await shadow.breaker.getTtl(input);
    advance(20 * MIN);
    const liveAnswer = await live.breaker.getTtl(input);
    const shadowAnswer = await shadow.breaker.getTtl(input);
    expect(live.events.map((e) => 'served' in e)).toEqual([false, false]);
    expect(shadow.events.map((e) => e.decision)).toEqual(live.events.map((e) => e.decision));
    expect(shadow.events.at(-1)!.decision).toEqual(liveAnswer);
    expect(shadow.events.at(-1)!.served).toBe(shadowAnswer);
  });

  it('the state-change and fail-safe lines are the live ones, marked shadow with the TTL served', async () => {
    const { live, shadow, advance } = pair();
    const input = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 2' } } as const;
    for (const step of [0, 20 * MIN]) {
      advance(step);
      await live.breaker.getTtl(input);
      await shadow.breaker.getTtl(input);
    }
    const pick = (lines: Array<Record<string, unknown>>) => lines.map(({ msg, tier, mode, ttl, shadow: s, served_ttl }) => ({ msg, tier, mode, ttl, s, served_ttl }));
    expect(pick(shadow.lines)).toEqual(pick(live.lines).map((line) => ({ ...line, s: true, served_ttl: 60 })));
    expect(pick(shadow.lines).map((l) => l.tier)).toEqual([1, 2]);
    const { logger, lines } = captureLogger('info');
    await new VixCircuitBreaker({ clock: null, shadow: true, logger }).getTtl({ baseTtl: 60, vixStatus: 'panic' });
    expect(lines).toEqual([expect.objectContaining({ msg: 'PANIC_WITHOUT_RELIABLE_TIMESTAMP', reason: 'no_clock', shadow: true, served_ttl: 60, action: 'shadow_base_ttl_served' })]);
  });

  it('shadow must be a boolean', () => {
    expect(() => new VixCircuitBreaker({ clock: null, shadow: 'yes' as unknown as boolean })).toThrow(InvalidConfigError);
    expect(() => new VixCircuitBreaker({ clock: null, shadow: 'yes' as unknown as boolean })).toThrow(/VixCircuitBreaker\.shadow/);
  });
});

describe('shadowDecision', () => {
  const quota = new AdaptivePanicQuota();
  it('serves the base TTL whatever the decision says, a decision already in shadow included (its shadow is kept, never nested)', () => {
    const tier2 = quota.calculateTtlStrategy(60, 45, { importance: 'medium_stakes' });
    const once = shadowDecision(60, tier2);
    expect(once).toEqual({ ...withoutVixTtl(60), shadow: tier2 });
    const twice = shadowDecision(60, once);
    expect(twice).toEqual(once);
    // A source that says "shadow" but serves something else does not get to choose the served TTL.
    const lying: TtlDecision = { ...tier2, ttl: 0, shadow: tier2 };
    expect(shadowDecision(60, lying).ttl).toBe(60);
  });
});

describe('ShadowLedger: how often, by how much and for how long shadow differed', () => {
  /** A ledger on a hand-moved clock, fed by a shadow breaker on the same clock. */
  function ledgerFixture() {
    let now = T0;
    const ledger = new ShadowLedger({ now: () => now });
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: () => now }), syncIntervalMs: 0, now: () => now, shadow: true, hooks: { onDecision: (e) => e.served && ledger.record(e.scope, e.served) } });
    const total = (outcome: string, tier: number, importance = 'medium_stakes') =>
      ledger.totals().find((t) => t.outcome === outcome && t.tier === tier && t.importance === importance) ?? { decisions: 0, servedSeconds: 0, ttlDifferenceSeconds: 0 };
    return { ledger, breaker, total, advance: (ms: number) => (now += ms) };
  }

  it('a burst of 1,000 decisions in one second counts 1,000 decisions but only the time it covers', async () => {
    const { breaker, total, advance } = ledgerFixture();
    for (let i = 0; i < 1000; i += 1) {
      await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
      advance(1);
    }
    advance(30_000 - 1000);
    expect(total('fresher', 1)).toMatchObject({ decisions: 1000, ttlDifferenceSeconds: 60_000 });
    expect(total('fresher', 1).servedSeconds).toBeCloseTo(30, 6);
  });

  it('each decision covers until the next one of its scope and importance, or until its base TTL runs out', async () => {
    const { breaker, total, advance } = ledgerFixture();
    const ask = (scope: string) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope });
    await ask('a');
    advance(10_000);
    await ask('a'); // 10 s covered
    advance(300_000); // nobody asks for 5 min: only the 60 s the caller's copy lived count
    await ask('a');
    await ask('b'); // another scope counts on its own
    advance(20_000);
    expect(total('fresher', 1).servedSeconds).toBeCloseTo(10 + 60 + 20 + 20, 6);
  });

  it('splits the time by the tier that would have applied, and counts the same-TTL time apart', async () => {
    const { breaker, total, advance } = ledgerFixture();
    const ask = (vixStatus: 'calm' | 'panic') => breaker.getTtl({ baseTtl: 60, vixStatus, match: { league: 'Ligue 1' } });
    await ask('calm');
    advance(30_000);
    for (let minute = 0; minute < 200; minute += 1) {
      await ask('panic');
      advance(MIN);
    }
    await ask('calm');
    advance(MIN);
    expect(total('fresher', 1).servedSeconds).toBeCloseTo(30 * 60, 6);
    expect(total('fresher', 2).servedSeconds).toBeCloseTo(60 * 60, 6);
    expect(total('fresher', 3).servedSeconds).toBeCloseTo(90 * 60, 6);
    expect(total('same', 4).servedSeconds).toBeCloseTo(20 * 60, 6); // tier 4 is 60 s: the base TTL
    expect(total('same', 0).servedSeconds).toBeCloseTo(30 + 60, 6);
    expect(total('fresher', 2)).toMatchObject({ decisions: 60, ttlDifferenceSeconds: 60 * 55 });
    expect(total('staler', 1).decisions).toBe(0);
  });

  it('holds at most maxPairs pairs; one closed early keeps the time it had', async () => {
    let now = T0;
    const ledger = new ShadowLedger({ now: () => now, maxPairs: 2 });
    const served = shadowDecision(60, new AdaptivePanicQuota().failSafeDecision(60, null, 'no_clock'));
    for (const scope of ['a', 'b', 'c', 'd']) {
      ledger.record(scope, served);
      now += 1000;
    }
    expect(ledger.size).toBe(2);
    now += 120_000;
    expect(ledger.totals()[0]).toMatchObject({ tier: 1, outcome: 'fresher', decisions: 4, servedSeconds: 2 + 2 + 60 + 60 });
    expect(ledger.size).toBe(0);
  });

  it('ignores a decision that is not a shadow one', () => {
    const ledger = new ShadowLedger();
    ledger.record('a', new AdaptivePanicQuota().calculateTtlStrategy(60, 0));
    expect(ledger.totals()).toEqual([]);
  });
});
