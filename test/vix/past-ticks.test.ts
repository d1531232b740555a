import { describe, expect, it } from 'vitest';
import { simulateTicks } from '../../src/vix/simulate-ticks.js';
import { VixEngine, type VixIngestOptions } from '../../src/vix/vix-engine.js';
import { feed, MINUTE, recordingEngine, START } from './vix-streams.js';

const NOW = START + 60 * MINUTE;
/** What the service passes with every tick: its wall clock plus 60 s, minus 5 min. */
const SERVICE: VixIngestOptions = { notAfterMs: NOW + MINUTE, notBeforeMs: NOW - 5 * MINUTE };

/**
 * The attack's junk scope: 111 small returns dated from 2001-09-09 (3 s apart: 330 s of tick
 * time, "warm"), 30 violent ones ("panic"), then one tick at the present that brings the scope
 * to now without moving the engine's time.
 */
function junkScope(scope: string, now: number): unknown[] {
  const market = `junk:${scope}`;
  const ticks: unknown[] = [];
  let ts = 1_000_000_000;
  for (let i = 0; i < 111; i += 1, ts += 3000) ticks.push({ market, price: i % 2 ? 2.02 : 2, ts, scope });
  for (let i = 0; i < 30; i += 1, ts += 500) ticks.push({ market, price: i % 2 ? 4 : 2, ts, scope });
  ticks.push({ market, price: 2, ts: now - 20_000, scope });
  return ticks;
}

/** `markets` markets of `scope` ticking every second from `from` for `durationMs`; returns ×10 (prices 2 ↔ 2.2 instead of 2 ↔ 2.02) from `shockAt` on. */
function steady(scope: string, markets: number, from: number, durationMs: number, shockAt = Number.POSITIVE_INFINITY): unknown[] {
  const ticks: unknown[] = [];
  for (let t = 0; t < durationMs; t += 1000) {
    for (let m = 0; m < markets; m += 1) ticks.push({ market: `${scope}/m${m}`, price: (t / 1000 + m) % 2 ? (from + t >= shockAt ? 2.2 : 2.02) : 2, ts: from + t + m, scope });
  }
  return ticks;
}

describe('a tick dated in the past cannot warm a scope, nor move the time (attack #2)', () => {
  it('the attack’s junk scope, fed as the service feeds the engine, is rejected stale_ts but for its last tick, and stays cold and calm', () => {
    const engine = new VixEngine();
    engine.advanceTo(NOW);
    const answers = junkScope('j1', NOW).map((t) => engine.ingest(t, SERVICE));
    expect(answers.filter((a) => !a.accepted)).toEqual(Array(141).fill({ accepted: false, reason: 'stale_ts', rule: 'reject' }));
    expect(answers.at(-1)).toEqual({ accepted: true });
    expect(engine.snapshot('j1')).toMatchObject({ status: 'calm', warm: false, ticks: 1 });
    expect(engine.stats()).toMatchObject({ accepted: 1, rejected: 141, byReason: { stale_ts: 141 }, engineTimeMs: NOW });
  });

  it('without notBeforeMs (a library user, advanceTo only) the engine rejects them too: more than maxLagMs behind its time is stale_ts', () => {
    const engine = new VixEngine();
    engine.advanceTo(NOW);
    expect(engine.options.maxLagMs).toBe(5 * MINUTE);
    expect(engine.ingest({ market: 'x', price: 2, ts: NOW - 5 * MINUTE })).toEqual({ accepted: true });
    expect(engine.ingest({ market: 'y', price: 2, ts: NOW - 5 * MINUTE - 1 })).toEqual({ accepted: false, reason: 'stale_ts', rule: 'reject' });
    expect(engine.ingest({ market: 'z', price: 2, ts: Math.floor(NOW / 1000) })).toMatchObject({ reason: 'stale_ts' }); // a feed in seconds
  });

  it('with an outside clock (advanceTo), no number of markets dated an hour back moves the time back', () => {
    const engine = new VixEngine();
    engine.advanceTo(NOW);
    engine.ingest({ market: 'live', price: 2, ts: NOW });
    const old = Array.from({ length: 2000 }, (_, i) => ({ market: `old-${i}`, price: 2, ts: NOW - 60 * MINUTE + i }));
    expect(feed(engine, old)).toBe(0);
    expect(engine.stats()).toMatchObject({ engineTimeMs: NOW, leaps: { forward: 0, backward: 0 }, byReason: { stale_ts: 2000 } });
  });

  it('warm-up is measured on the engine’s time: five and a half minutes of history posted at once (3 markets, a shock at the end) leave a new scope cold and calm', () => {
    const { engine, transitions } = recordingEngine();
    engine.advanceTo(NOW);
    // From 4 min 50 s ago (within maxLagMs) to 40 s ahead (within the skew), returns ×10 in the last 30 s.
    const history = steady('late', 3, NOW - 290_000, 330_000, NOW + 10_000);
    expect(engine.ingestBatch(history, SERVICE).accepted).toBe(history.length);
    expect(engine.snapshot('late')).toMatchObject({ warm: false, status: 'calm' });
    expect(engine.snapshot('late')!.returns).toBeGreaterThan(engine.options.warmupReturns);
    expect(engine.snapshot('late')!.lastTs - engine.snapshot('late')!.firstTs).toBeGreaterThan(engine.options.warmupMs);
    expect(transitions.filter((t) => t.scope === 'late')).toEqual([]);
    // Once the engine's own time has followed the scope for warmupMs, it is warm, and a shock then is seen.
    const later = NOW + 5 * MINUTE;
    engine.advanceTo(later);
    const live = steady('late', 3, NOW + 40_000, 6 * MINUTE, later + 2 * MINUTE);
    expect(engine.ingestBatch(live, { notAfterMs: later + 2 * MINUTE, notBeforeMs: later - 5 * MINUTE }).accepted).toBeGreaterThan(0);
    expect(engine.snapshot('late')!.warm).toBe(true);
    expect(transitions.filter((t) => t.scope === 'late' && t.to === 'panic')).toHaveLength(1);
  });

  it('one market alone cannot warm a scope, however long it ticks (minMarkets 3); three markets can', () => {
    const { engine, transitions } = recordingEngine();
    expect(engine.options.minMarkets).toBe(3);
    const alone = steady('alone', 1, START, 20 * MINUTE, START + 15 * MINUTE);
    const three = steady('three', 3, START, 20 * MINUTE, START + 15 * MINUTE);
    const merged = [...alone, ...three].sort((p, q) => (p as { ts: number }).ts - (q as { ts: number }).ts);
    expect(feed(engine, merged)).toBe(merged.length);
    expect(engine.snapshot('alone')).toMatchObject({ warm: false, status: 'calm' });
    expect(engine.snapshot('three')).toMatchObject({ warm: true, status: 'panic' });
    expect(transitions.filter((t) => t.scope === 'alone')).toEqual([]);
    expect(new VixEngine({ minMarkets: 1 }).options.minMarkets).toBe(1);
    expect(() => new VixEngine({ minMarkets: 0 })).toThrow(/VixEngine\.minMarkets/);
  });

  it('the attack at full size: 10,000 junk scopes (1.42 M ticks) stay cold and are evicted; a warm real scope stays, a new real one is taken, nothing panics', () => {
    const { engine, transitions } = recordingEngine();
    // A real match followed for seven minutes before now (a replay: the ticks' time is the engine's).
    expect(feed(engine, steady('real-match', 3, NOW - 7 * MINUTE, 7 * MINUTE))).toBe(3 * 420);
    engine.advanceTo(NOW);
    expect(engine.snapshot('real-match')!.warm).toBe(true);
    let accepted = 0;
    for (let s = 0; s < 10_000; s += 1) for (const tick of junkScope(`j${s}`, NOW)) if (engine.ingest(tick, SERVICE).accepted) accepted += 1;
    expect(accepted).toBe(10_000);
    expect(engine.stats().byReason).toMatchObject({ stale_ts: 1_410_000, too_many_scopes: 0 });
    expect(engine.snapshots().filter((s) => s.status !== 'calm' || (s.warm && s.scope !== 'real-match' && s.scope !== 'global'))).toEqual([]);
    expect(engine.snapshot('real-match')).toMatchObject({ warm: true, status: 'calm' });
    expect(engine.ingest({ market: 'new-real/m0', price: 2.5, ts: NOW, scope: 'new-real-match' }, SERVICE)).toEqual({ accepted: true });
    expect(engine.snapshot('new-real-match')).not.toBeNull();
    expect(engine.stats().evictedScopes).toBe(2); // a junk scope for the 10,000th (real-match holds a place), another for new-real-match
    expect(transitions.filter((t) => t.to !== 'calm')).toEqual([]);
  });
});

describe('time leaps back only on a quorum, and only without an outside clock', () => {
  it('an engine that leapt on a hostile quorum (4 of 8 markets, 16 ticks a day ahead) comes back to the live feed, which then panics on its next shock', () => {
    const { engine, transitions } = recordingEngine();
    const scopes = [
      { scope: 'a', markets: 4, meanGapMs: 2000 },
      { scope: 'b', markets: 4, meanGapMs: 2000 },
    ];
    const ticks = [...simulateTicks({ seed: 301, startMs: START, durationMs: 50 * MINUTE, scopes, events: [{ scope: 'a', atMs: 40 * MINUTE, durationMs: 4 * MINUTE, volatility: 10 }] })].map((r) => r.tick as { ts: number });
    const attackAt = START + 20 * MINUTE;
    const before = ticks.filter((t) => t.ts < attackAt);
    feed(engine, before);
    for (let k = 0; k < 16; k += 1) engine.ingest({ market: `evil${k % 4}`, price: 2, ts: attackAt + 24 * 60 * MINUTE + k });
    expect(engine.stats().leaps).toEqual({ forward: 1, backward: 0 }); // half the live feed's markets: by design, a feed moving on
    feed(engine, ticks.slice(before.length));
    expect(engine.stats().leaps).toEqual({ forward: 1, backward: 1 });
    expect(engine.stats().engineTimeMs).toBeGreaterThan(START + 49 * MINUTE);
    expect(engine.stats().engineTimeMs).toBeLessThan(START + 51 * MINUTE);
    const panic = transitions.find((t) => t.scope === 'a' && t.to === 'panic');
    expect(panic?.ts).toBeGreaterThan(START + 40 * MINUTE);
  });
});
