import { describe, expect, it } from 'vitest';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { feed, MINUTE, of, recordingEngine, START, stream } from './vix-streams.js';

const SHOCK_AT = 20 * MINUTE;
const SHOCK_FOR = 4 * MINUTE;

/** Start of the run of index events (of one scope, before `beforeTs`) that ends at `beforeTs` and satisfies `test`. */
function runStart(indexes: Array<{ scope: string; ts: number; index: number }>, scope: string, beforeTs: number, test: (index: number) => boolean): number {
  const events = indexes.filter((e) => e.scope === scope && e.ts <= beforeTs);
  let start = beforeTs;
  for (let i = events.length - 1; i >= 0 && test(events[i]!.index); i -= 1) start = events[i]!.ts;
  return start;
}

describe('a calm random walk never panics', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: two hours of three scopes and an unscoped feed, no panic anywhere`, () => {
      const ticks = stream({
        seed,
        durationMs: 120 * MINUTE,
        scopes: [
          { scope: 'a', markets: 4, meanGapMs: 2000 },
          { scope: 'b', markets: 4, meanGapMs: 2000 },
          { scope: 'c', markets: 6, meanGapMs: 3000 },
          { markets: 3, meanGapMs: 1500 },
        ],
      });
      const { engine, transitions, indexes } = recordingEngine();
      expect(feed(engine, ticks)).toBe(ticks.length);
      expect(transitions.filter((t) => t.to === 'panic')).toEqual([]);
      const warm = indexes.filter((e) => e.warm);
      expect(warm.length).toBeGreaterThan(ticks.length);
      expect(Math.max(...warm.map((e) => e.index))).toBeLessThan(engine.options.panic.enter);
      expect(engine.snapshots().map((s) => s.status)).toEqual(['calm', 'calm', 'calm', 'calm']);
    });
  }
});

describe('a shock (returns ×10) panics within the configured enter delay', () => {
  const shock = (seed: number) =>
    stream({ seed, durationMs: 45 * MINUTE, events: [{ scope: 'a', atMs: SHOCK_AT, durationMs: SHOCK_FOR, volatility: 10 }] });

  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: panic once the index has held above panic.enter for enterDelayMs, and only in the shocked scope`, () => {
      const { engine, transitions, indexes } = recordingEngine();
      feed(engine, shock(seed));
      const { enter, enterDelayMs } = engine.options.panic;
      const panic = of(transitions, 'a').find((t) => t.to === 'panic')!;
      expect(panic).toMatchObject({ from: 'calm', cause: 'index' });
      const crossed = runStart(indexes, 'a', panic.ts, (i) => i >= enter);
      expect(crossed).toBeGreaterThanOrEqual(START + SHOCK_AT);
      expect(panic.ts - crossed).toBeGreaterThanOrEqual(enterDelayMs);
      expect(panic.ts - crossed).toBeLessThan(enterDelayMs + 2000); // the first tick after the delay
      expect(panic.ts - (START + SHOCK_AT)).toBeLessThanOrEqual(enterDelayMs + engine.options.fastHalfLifeMs);
      expect(of(transitions, 'b')).toEqual([]);
    });
  }

  it('after the shock, calm returns once the index has stayed below the exit thresholds for their delays: one transition each way', () => {
    const { engine, transitions, indexes } = recordingEngine();
    feed(engine, shock(14));
    const a = of(transitions, 'a');
    expect(a.map((t) => `${t.from}→${t.to}`)).toEqual(['calm→panic', 'panic→calm']);
    const calm = a[1]!;
    const { panic, elevated } = engine.options;
    const belowPanicExit = runStart(indexes, 'a', calm.ts, (i) => i < panic.exit);
    const belowElevatedExit = runStart(indexes, 'a', calm.ts, (i) => i < elevated.exit);
    expect(belowPanicExit).toBeGreaterThanOrEqual(START + SHOCK_AT + SHOCK_FOR);
    expect(calm.ts - belowPanicExit).toBeGreaterThanOrEqual(panic.exitDelayMs);
    expect(calm.ts - belowElevatedExit).toBeGreaterThanOrEqual(elevated.exitDelayMs);
    expect(Math.min(calm.ts - belowPanicExit - panic.exitDelayMs, calm.ts - belowElevatedExit - elevated.exitDelayMs)).toBeLessThan(2000);
    expect(engine.status('a')).toBe('calm');
  });

  it('follows other delays when configured: enter after 30 s, leave after 3 min', () => {
    const options = { panic: { enterDelayMs: 30_000, exitDelayMs: 180_000 }, elevated: { enterDelayMs: 30_000, exitDelayMs: 90_000 } };
    const { engine, transitions, indexes } = recordingEngine(options);
    feed(engine, shock(15));
    const a = of(transitions, 'a');
    expect(a.map((t) => t.to)).toEqual(['panic', 'calm']);
    const crossed = runStart(indexes, 'a', a[0]!.ts, (i) => i >= engine.options.panic.enter);
    expect(a[0]!.ts - crossed).toBeGreaterThanOrEqual(30_000);
    expect(a[0]!.ts - crossed).toBeLessThan(32_000);
    expect(a[1]!.ts - runStart(indexes, 'a', a[1]!.ts, (i) => i < engine.options.panic.exit)).toBeGreaterThanOrEqual(180_000);
  });
});

describe('one spike does not flap the status', () => {
  for (const seed of [21, 22, 23]) {
    it(`seed ${seed}: one market's price tripling for one tick changes no status`, () => {
      const ticks = stream({ seed, durationMs: 40 * MINUTE, scopes: [{ scope: 'a', markets: 4, meanGapMs: 2000 }] });
      const at = ticks.findIndex((t) => (t as { ts: number }).ts > START + SHOCK_AT && (t as { market: string }).market === 'a/m1');
      const spike = ticks[at] as { price: number };
      ticks[at] = { ...spike, price: Math.min(spike.price * 3, 80) };
      const { engine, transitions, indexes } = recordingEngine();
      feed(engine, ticks);
      expect(transitions).toEqual([]);
      expect(Math.max(...indexes.filter((e) => e.warm).map((e) => e.index))).toBeLessThan(engine.options.elevated.enter + 0.5);
    });
  }

  it('a 4-second burst of returns ×10 (shorter than the enter delay) does not panic', () => {
    for (const seed of [24, 25, 26]) {
      const { engine, transitions } = recordingEngine();
      feed(engine, stream({ seed, durationMs: 40 * MINUTE, events: [{ scope: 'a', atMs: SHOCK_AT, durationMs: 4000, volatility: 10 }] }));
      expect(transitions.filter((t) => t.to === 'panic')).toEqual([]);
      expect(engine.status('a')).toBe('calm');
    }
  });
});

describe('warm-up: no status but calm before warmupReturns returns and warmupMs of ticks', () => {
  it('a shock in the first minutes does not panic, and the snapshot says the scope is not warm', () => {
    const { engine, transitions, indexes } = recordingEngine();
    feed(engine, stream({ seed: 31, durationMs: 4.75 * MINUTE, events: [{ scope: 'a', atMs: 3 * MINUTE, durationMs: 1.5 * MINUTE, volatility: 10 }] }));
    expect(transitions).toEqual([]);
    expect(engine.snapshot('a')).toMatchObject({ warm: false, status: 'calm', pending: null });
    const during = indexes.filter((e) => e.scope === 'a' && e.ts >= START + 3 * MINUTE && e.ts < START + 4.5 * MINUTE);
    expect(during.every((e) => !e.warm && e.status === 'calm')).toBe(true);
    expect(Math.max(...during.map((e) => e.index))).toBeGreaterThan(engine.options.panic.enter);
  });

  it('needs both the returns and the time: a sparse scope is not warm after warmupMs', () => {
    const engine = new VixEngine({ warmupReturns: 100, warmupMs: 5 * MINUTE });
    feed(engine, stream({ seed: 32, durationMs: 6 * MINUTE, scopes: [{ scope: 'slow', markets: 1, meanGapMs: 10_000 }] }));
    expect(engine.snapshot('slow')).toMatchObject({ warm: false });
    expect(engine.snapshot('slow')!.returns).toBeLessThan(100);
    const busy = new VixEngine({ warmupReturns: 100, warmupMs: 5 * MINUTE });
    feed(busy, stream({ seed: 32, durationMs: 4 * MINUTE }));
    expect(busy.snapshot('a')!.returns).toBeGreaterThan(100);
    expect(busy.snapshot('a')).toMatchObject({ warm: false });
  });
});

describe('determinism: time comes from the ticks only', () => {
  it('the same ticks give the same transitions and snapshots, one by one or in batches', () => {
    const ticks = stream({ seed: 41, durationMs: 40 * MINUTE, events: [{ scope: 'b', atMs: SHOCK_AT, durationMs: SHOCK_FOR, volatility: 10, jump: 0.3 }] });
    const first = recordingEngine();
    feed(first.engine, ticks);
    const second = recordingEngine();
    for (let i = 0; i < ticks.length; i += 1000) second.engine.ingestBatch(ticks.slice(i, i + 1000));
    expect(first.transitions.length).toBeGreaterThan(0);
    expect(second.transitions).toEqual(first.transitions);
    expect(second.engine.snapshots()).toEqual(first.engine.snapshots());
    expect(second.engine.stats()).toEqual(first.engine.stats());
  });
});

describe('scopes', () => {
  it('every tick feeds global and, when it names one, its own scope', () => {
    const engine = new VixEngine();
    engine.ingest({ market: 'x', price: 2, ts: START, scope: 'ucl' });
    engine.ingest({ market: 'y', price: 2, ts: START + 1, scope: '' });
    engine.ingest({ market: 'z', price: 2, ts: START + 2, scope: 'global' });
    engine.ingest({ market: 'w', price: 2, ts: START + 3, scope: null });
    engine.ingest({ market: 'v', price: 2, ts: START + 4 });
    expect(engine.snapshots().map((s) => [s.scope, s.ticks])).toEqual([
      ['global', 5],
      ['ucl', 1],
    ]);
    expect(engine.status('never-seen')).toBe('calm');
    expect(engine.snapshot('never-seen')).toBeNull();
  });

  it('a tick of another market that is late for its scope counts at the scope time', () => {
    const engine = new VixEngine();
    expect(engine.ingest({ market: 'x', price: 2, ts: START + 5000, scope: 's' }).accepted).toBe(true);
    expect(engine.ingest({ market: 'y', price: 2, ts: START + 1000, scope: 's' }).accepted).toBe(true);
    expect(engine.snapshot('s')).toMatchObject({ firstTs: START + 5000, lastTs: START + 5000, ticks: 2 });
  });
});

describe('idle scopes and gaps', () => {
  it('a scope in panic whose ticks stop goes calm (cause idle) scopeIdleMs after its last tick, and is dropped', () => {
    const { engine, transitions } = recordingEngine({ scopeIdleMs: 10 * MINUTE });
    const ticks = stream({ seed: 51, durationMs: 60 * MINUTE, events: [{ scope: 'a', atMs: 30 * MINUTE, durationMs: 30 * MINUTE, volatility: 10 }] });
    const lastOfA = Math.max(...ticks.filter((t) => (t as { scope?: string }).scope === 'a').map((t) => (t as { ts: number }).ts));
    feed(engine, ticks);
    expect(engine.status('a')).toBe('panic');
    engine.advanceTo(lastOfA + 5 * MINUTE);
    expect(engine.status('a')).toBe('panic');
    engine.advanceTo(lastOfA + 11 * MINUTE);
    expect(of(transitions, 'a').at(-1)).toEqual({ from: 'panic', to: 'calm', ts: lastOfA + 10 * MINUTE, cause: 'idle' });
    expect(engine.snapshot('a')).toBeNull();
    expect(() => engine.advanceTo(Number.NaN)).toThrow(/ts must be ms since the epoch/);
  });

  it('a tick after more than maxGapMs starts its market afresh: no return across the gap', () => {
    const engine = new VixEngine({ maxGapMs: MINUTE });
    engine.ingest({ market: 'x', price: 2, ts: START });
    engine.ingest({ market: 'x', price: 2.1, ts: START + 1000 });
    engine.ingest({ market: 'x', price: 9, ts: START + 1000 + 2 * MINUTE });
    expect(engine.snapshot()).toMatchObject({ ticks: 3, returns: 1 });
  });
});

describe('the baseline is frozen while a scope is not calm (freezeBaseline)', () => {
  const evening = () => stream({ seed: 61, durationMs: 150 * MINUTE, events: [{ scope: 'a', atMs: 20 * MINUTE, durationMs: 110 * MINUTE, volatility: 5 }] });

  it('so a long volatile evening is one long panic, ending when the volatility does', () => {
    const { engine, transitions } = recordingEngine();
    feed(engine, evening());
    const a = of(transitions, 'a');
    expect(a.map((t) => t.to)).toEqual(['panic', 'calm']);
    expect(a[1]!.ts - a[0]!.ts).toBeGreaterThan(105 * MINUTE);
  });

  it('without it the baseline learns the new volatility and the panic fades while it lasts', () => {
    const { engine, transitions } = recordingEngine({ freezeBaseline: false });
    feed(engine, evening());
    const a = of(transitions, 'a');
    const panic = a.find((t) => t.to === 'panic')!;
    const end = a.find((t) => t.from === 'panic')!;
    expect(end.ts - panic.ts).toBeLessThan(60 * MINUTE);
  });

  it('a frozen baseline does not age: after a 7-hour panic the calm stays calm (no second panic from a baseline of a few returns)', () => {
    const { engine, transitions } = recordingEngine();
    const night = stream({ seed: 62, durationMs: 460 * MINUTE, events: [{ scope: 'a', atMs: 10 * MINUTE, durationMs: 420 * MINUTE, volatility: 5 }] });
    feed(engine, night);
    const a = of(transitions, 'a');
    expect(a.map((t) => `${t.from}→${t.to}`)).toEqual(['calm→panic', 'panic→calm']);
    expect(a[1]!.ts).toBeGreaterThan(START + 430 * MINUTE);
    const after = engine.snapshot('a')!;
    expect(after.status).toBe('calm');
    expect(after.index).toBeLessThan(engine.options.elevated.exit);
  });
});

describe('snapshot', () => {
  it('reports the change under way and when it is due', () => {
    const engine = new VixEngine();
    const ticks = stream({ seed: 71, durationMs: 40 * MINUTE, events: [{ scope: 'a', atMs: SHOCK_AT, durationMs: SHOCK_FOR, volatility: 10 }] });
    let seen: { status: string; dueAt: number; since: number } | null = null;
    for (const tick of ticks) {
      engine.ingest(tick);
      const snapshot = engine.snapshot('a');
      if (!seen && snapshot?.pending?.status === 'panic') seen = snapshot.pending;
    }
    expect(seen).not.toBeNull();
    expect(seen!.dueAt - seen!.since).toBe(engine.options.panic.enterDelayMs);
    const done = engine.snapshot('a')!;
    expect(done).toMatchObject({ status: 'calm', warm: true, baselineFrozen: false, pending: null });
    expect(done.statusSince).toBeGreaterThan(seen!.dueAt);
  });
});

describe('bounded memory', () => {
  it('keeps at most maxMarkets markets (the first seen is forgotten) and maxScopes scopes (a new one evicts the least recently ticked calm one)', () => {
    const engine = new VixEngine({ maxMarkets: 10, maxScopes: 2 });
    for (let i = 0; i < 50; i += 1) engine.ingest({ market: `m${i}`, price: 2, ts: START + i, scope: i % 2 ? 'one' : 'two' });
    expect(engine.stats()).toMatchObject({ markets: 10, scopes: 3, accepted: 50 });
    expect(engine.ingest({ market: 'm99', price: 2, ts: START + 99, scope: 'three' }).accepted).toBe(true);
    expect(engine.stats()).toMatchObject({ scopes: 3, evictedScopes: 1 });
    expect(engine.snapshot('two')).toBeNull();
    expect(engine.ingest({ market: 'm99', price: 2, ts: START + 100, scope: 'one' }).accepted).toBe(true);
  });
});

describe('hooks', () => {
  it('a hook that throws does not break ingestion, and a subscription stops when disposed', () => {
    const engine = new VixEngine({ hooks: { onIndex: () => { throw new Error('broken metrics'); }, onReject: () => { throw new Error('broken'); } } });
    const seen: string[] = [];
    const subscription = engine.onReject((e) => seen.push(`${e.reason}/${e.rule}`));
    expect(engine.ingest({ market: 'x', price: 2, ts: START }).accepted).toBe(true);
    expect(engine.ingest({ market: 'x', price: 2, ts: START }).accepted).toBe(false);
    subscription.dispose();
    engine.ingest({ market: 'x', price: 0, ts: START + 1 });
    expect(seen).toEqual(['duplicate/ignore']);
    expect(engine.stats().byReason).toMatchObject({ duplicate: 1, bad_price: 1 });
  });
});
