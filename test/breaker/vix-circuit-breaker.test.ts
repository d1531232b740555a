import { describe, expect, it } from 'vitest';
import {
  AdaptivePanicQuota,
  InvalidConfigError,
  InvalidInputError,
  MemoryPanicClock,
  VixCircuitBreaker,
  type ObservationKind,
  type ObservationRequest,
  type PanicClock,
} from '../../src/index.js';
import { captureLogger } from '../support/capture-logger.js';

const MIN = 60_000;

/** A real MemoryPanicClock on a hand-moved time source, counting the observations it gets and the calls that carry them. */
function fixture(options: { syncIntervalMs?: number } = {}) {
  let now = Date.UTC(2026, 5, 14, 20, 0, 0);
  const clock = new MemoryPanicClock({ now: () => now });
  const calls: ObservationKind[] = [];
  const batches: ObservationKind[][] = [];
  const counted: PanicClock = Object.assign(Object.create(clock) as PanicClock, {
    observe: (scope: string | undefined, kind: ObservationKind) => {
      calls.push(kind);
      batches.push([kind]);
      return clock.observe(scope, kind);
    },
    observeMany: (requests: readonly ObservationRequest[]) => {
      calls.push(...requests.map((r) => r.kind));
      batches.push(requests.map((r) => r.kind));
      return clock.observeMany(requests);
    },
  });
  const { logger, lines } = captureLogger('debug');
  const breaker = new VixCircuitBreaker({ clock: counted, logger, syncIntervalMs: options.syncIntervalMs ?? 0, now: () => now });
  return { breaker, clock, calls, batches, lines, advance: (ms: number) => (now += ms) };
}

describe('getTtl follows a panic through the tiers on the shared clock', () => {
  it('medium stakes: tier 1 at once, tier 2 after 30 min, tier 3 after 90, tier 4 after 180', async () => {
    const { breaker, advance } = fixture();
    const ask = () => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } });
    expect(await ask()).toMatchObject({ tier: 1, ttl: 0, panicDurationMin: 0, nextTierInMin: 30 });
    advance(30 * MIN);
    expect(await ask()).toMatchObject({ tier: 2, ttl: 5, panicDurationMin: 30 });
    advance(60 * MIN);
    expect(await ask()).toMatchObject({ tier: 3, ttl: 30 });
    advance(90 * MIN);
    expect(await ask()).toMatchObject({ tier: 4, ttl: 60, nextTierInMin: null });
  });

  it('calm gives the base TTL and ends the panic; the next panic restarts at tier 1', async () => {
    const { breaker, clock, advance } = fixture();
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    advance(100 * MIN);
    expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' })).toMatchObject({ ttl: 60, mode: 'NORMAL', tier: 0 });
    expect((await clock.inspect()).active).toBe(false);
    expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })).toMatchObject({ tier: 1, ttl: 0 });
  });

  it('elevated counts as calm', async () => {
    const { breaker } = fixture();
    expect(await breaker.getTtl({ baseTtl: 30, vixStatus: 'elevated' })).toMatchObject({ ttl: 30, tier: 0 });
  });

  it('scopes are independent', async () => {
    const { breaker, advance } = fixture();
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'ligue-1' });
    advance(40 * MIN);
    expect((await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'ligue-1' })).tier).toBe(2);
    expect((await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'serie-a' })).tier).toBe(1);
  });

  it('without a status, it reads the published state (publisher mode)', async () => {
    const { breaker, clock, advance } = fixture();
    expect(await breaker.getTtl({ baseTtl: 60 })).toMatchObject({ tier: 0, ttl: 60 });
    await clock.startPanic(undefined, { ageMs: 100 * MIN });
    advance(1);
    expect(await breaker.getTtl({ baseTtl: 60, match: { league: 'Ligue 1' } })).toMatchObject({ tier: 3, ttl: 30 });
  });
});

describe('fail-safe without a clock', () => {
  it('a panic without a clock is TTL 0, fail-safe, reason no_clock, with a WARN naming redis_status not_configured', async () => {
    const { logger, lines } = captureLogger('info');
    const breaker = new VixCircuitBreaker({ clock: null, logger });
    expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1, failSafe: true, reason: 'no_clock' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'PANIC_WITHOUT_RELIABLE_TIMESTAMP', redis_status: 'not_configured', reason: 'no_clock' });
  });

  it('calm without a clock is the base TTL', async () => {
    const breaker = new VixCircuitBreaker({ clock: null });
    expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' })).toMatchObject({ ttl: 60, failSafe: false });
  });

  it('no status and no clock is a caller error', async () => {
    const breaker = new VixCircuitBreaker({ clock: null });
    await expect(breaker.getTtl({ baseTtl: 60 })).rejects.toThrow(InvalidInputError);
  });
});

describe('fail-safe whatever way the clock fails', () => {
  it('a clock that throws instead of rejecting, or rejects with a value that cannot be read, gives TTL 0 store_error, never a rejection', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const failures: Array<() => never | Promise<never>> = [
      () => {
        throw new Error('client closed');
      },
      () => Promise.reject(proxy),
      () => {
        throw proxy;
      },
    ];
    for (const fail of failures) {
      // A clock with observeMany (the breaker's batched call), and one with observe only.
      for (const methods of [{ observe: fail, observeMany: fail }, { observe: fail, observeMany: undefined }]) {
        const { logger, lines } = captureLogger('debug');
        const clock = Object.assign(Object.create(new MemoryPanicClock()) as PanicClock, methods);
        const breaker = new VixCircuitBreaker({ clock, logger, syncIntervalMs: 0 });
        expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })).toMatchObject({ ttl: 0, failSafe: true, reason: 'store_error' });
        expect(lines.some((line) => line.msg === 'VIX_TTL_STORE_FAILURE')).toBe(true);
      }
    }
  });
});

describe('log on change', () => {
  it('100 identical decisions write one INFO line; a tier change writes another', async () => {
    const { breaker, lines, advance } = fixture();
    for (let i = 0; i < 100; i += 1) await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });
    const info = () => lines.filter((l) => l.level === 30);
    expect(info()).toHaveLength(1);
    expect(info()[0]).toMatchObject({ msg: 'VIX_TTL_STATE_CHANGE', mode: 'PANIC_FULL', tier: 1, scope: 'global', importance: 'medium_stakes', previous_mode: null });
    expect(lines.filter((l) => l.msg === 'VIX_TTL_DECISION')).toHaveLength(99);
    advance(31 * MIN);
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } });
    expect(info()).toHaveLength(2);
    expect(info()[1]).toMatchObject({ msg: 'VIX_TTL_STATE_CHANGE', mode: 'PANIC_PARTIAL', tier: 2, previous_mode: 'PANIC_FULL', previous_tier: 1 });
  });

  it('each importance of a scope has its own state, so mixed traffic does not flap the log', async () => {
    const { breaker, lines } = fixture();
    for (let i = 0; i < 10; i += 1) {
      await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { importance: 'high_stakes' } });
      await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { importance: 'low_stakes' } });
    }
    expect(lines.filter((l) => l.level === 30)).toHaveLength(2);
  });
});

describe('syncIntervalMs and coalescing', () => {
  it('a burst of 1,000 concurrent calls costs one clock call', async () => {
    const { breaker, calls, batches } = fixture({ syncIntervalMs: 0 });
    const decisions = await Promise.all(Array.from({ length: 1000 }, () => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })));
    expect(calls).toEqual(['panic']);
    expect(batches).toHaveLength(1);
    expect(new Set(decisions.map((d) => d.tier))).toEqual(new Set([1]));
  });

  it('within syncIntervalMs the synced start is reused and the duration extrapolated locally', async () => {
    const { breaker, calls, advance } = fixture({ syncIntervalMs: 250 });
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    advance(100);
    const second = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    expect(calls).toHaveLength(1);
    expect(second.panicDurationMin).toBeCloseTo(100 / MIN, 9);
    advance(200);
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    expect(calls).toHaveLength(2);
  });

  it('a calm call after a synced panic still reaches the clock, so the panic ends at once', async () => {
    const { breaker, calls } = fixture({ syncIntervalMs: 10_000 });
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' });
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' });
    expect(calls).toEqual(['panic', 'calm']);
  });
});

describe('input and options are validated', () => {
  const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
  const bad: Array<[string, unknown, string]> = [
    ['NaN base TTL', { baseTtl: Number.NaN, vixStatus: 'panic' }, 'baseTtl'],
    ['missing base TTL', { vixStatus: 'panic' }, 'baseTtl'],
    ['unknown status', { baseTtl: 60, vixStatus: 'PANIC' }, 'vixStatus'],
    ['bad scope', { baseTtl: 60, vixStatus: 'panic', scope: 'a b' }, 'scope'],
    ['bad importance', { baseTtl: 60, vixStatus: 'panic', match: { importance: 'x' } }, 'match.importance'],
    ['no input', null, 'input'],
  ];
  for (const [name, input, field] of bad) {
    it(`${name} → InvalidInputError(${field})`, async () => {
      const error = await breaker.getTtl(input as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
    });
  }

  it('the clock option is required (null is explicit)', () => {
    expect(() => new VixCircuitBreaker({} as never)).toThrow(InvalidConfigError);
    expect(() => new VixCircuitBreaker({} as never)).toThrow(/VixCircuitBreaker\.clock/);
  });

  it('bad numbers and unknown options are named', () => {
    expect(() => new VixCircuitBreaker({ clock: null, syncIntervalMs: -1 })).toThrow(/VixCircuitBreaker\.syncIntervalMs/);
    expect(() => new VixCircuitBreaker({ clock: null, timeoutMs: 0 })).toThrow(/VixCircuitBreaker\.timeoutMs/);
    expect(() => new VixCircuitBreaker({ clock: null, syncIntervalMS: 5 } as never)).toThrow(/unknown key "syncIntervalMS"/);
  });

  it('a policy can be given as options or as an instance', async () => {
    const strict = new VixCircuitBreaker({ clock: null, policy: { tiers: { medium_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [0, 1, 2, 3] } } } });
    expect(strict.policy.policy.tiers.medium_stakes.thresholdsMin).toEqual([1, 2, 3]);
    const shared = new AdaptivePanicQuota();
    expect(new VixCircuitBreaker({ clock: null, policy: shared }).policy).toBe(shared);
  });
});

describe('hooks and close', () => {
  it('hooks see every decision, and a throwing hook changes nothing', async () => {
    const seen: number[] = [];
    const breaker = new VixCircuitBreaker({
      clock: new MemoryPanicClock(),
      hooks: {
        onDecision: (e) => {
          seen.push(e.decision.tier);
          throw new Error('broken metrics');
        },
      },
    });
    expect(await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' })).toMatchObject({ tier: 1 });
    expect(seen).toEqual([1]);
  });

  it('after close, getTtl rejects with VIX_TTL_CLOSED', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
    await breaker.close();
    await expect(breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' })).rejects.toMatchObject({ code: 'VIX_TTL_CLOSED' });
  });

  it('per-scope state is bounded: after 5,000 scopes a breaker of maxScopes 100 remembers exactly the 100 most recent', async () => {
    // What a breaker remembers of a scope shows in its log: a scope it remembers logs no new state
    // change for the same decision; a scope it dropped logs one again. Each decision is 11 ms
    // of breaker time apart, within the 100 state-change lines a second a breaker writes.
    const { logger, lines } = captureLogger('info');
    let nowMs = Date.now();
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), maxScopes: 100, maxPanicScopes: 10_000, logger, now: () => (nowMs += 11) });
    const decide = (i: number) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `match:${i}` });
    const changes = () => lines.filter((l) => l.msg === 'VIX_TTL_STATE_CHANGE').length;
    for (let i = 0; i < 5000; i += 1) await decide(i);
    expect(changes()).toBe(5000);
    for (let i = 4900; i < 5000; i += 1) expect(await decide(i)).toMatchObject({ tier: 1 });
    expect(changes()).toBe(5000); // the 100 most recent are all remembered
    await decide(4899);
    expect(changes()).toBe(5001); // the 101st most recent was dropped
    await decide(0);
    expect(changes()).toBe(5002);
  });
});

describe('isSynced: whether a decision rests on a current clock answer', () => {
  it('true after an answer, false once it is older than syncIntervalMs + timeoutMs, false after a failed call until the clock answers again', async () => {
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const clock = new MemoryPanicClock({ now: () => now });
    let failing = false;
    const flaky: PanicClock = Object.assign(Object.create(clock) as PanicClock, {
      observe: (scope: string | undefined, kind: ObservationKind) => (failing ? Promise.reject(new Error('ECONNRESET')) : clock.observe(scope, kind)),
      observeMany: (requests: readonly ObservationRequest[]) => (failing ? Promise.reject(new Error('ECONNRESET')) : clock.observeMany(requests)),
    });
    const breaker = new VixCircuitBreaker({ clock: flaky, syncIntervalMs: 100, timeoutMs: 50, now: () => now });
    const read = { baseTtl: 60, scope: 'ligue-1' };
    expect(breaker.isSynced('ligue-1')).toBe(false); // never asked
    await breaker.getTtl(read);
    expect(breaker.isSynced('ligue-1')).toBe(true);
    expect(breaker.isSynced('other')).toBe(false);
    now += 149;
    expect(breaker.isSynced('ligue-1')).toBe(true);
    now += 1;
    expect(breaker.isSynced('ligue-1')).toBe(false);
    failing = true;
    now += 100; // the clock is asked again, and the call fails: the last known calm is not current knowledge
    const fallback = await breaker.getTtl(read);
    expect(fallback).toMatchObject({ ttl: 60, failSafe: false }); // the last known calm decision, unchanged
    expect(breaker.isSynced('ligue-1')).toBe(false);
    failing = false;
    await breaker.getTtl(read);
    expect(breaker.isSynced('ligue-1')).toBe(true);
    expect(new VixCircuitBreaker({ clock: null }).isSynced()).toBe(true); // nothing to read: the caller's status decides
  });
});
