import { describe, expect, it } from 'vitest';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { feed, MINUTE, of, recordingEngine, START, stream } from './vix-streams.js';

/** `count` ticks, each in a new junk scope, one ms apart from `from`: each of a new market, or cycling through `markets` markets. */
function junk(count: number, from: number, prefix = 'junk', markets?: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({ market: `${prefix}-m${markets ? i % markets : i}`, price: 2, ts: from + i, scope: `${prefix}-${i}` }));
}

/** Interleaves `extra` into `ticks`, one after every `every` ticks, each given the time of the tick before it. */
function interleave(ticks: unknown[], extra: unknown[], every: number): unknown[] {
  const out: unknown[] = [];
  let j = 0;
  ticks.forEach((tick, i) => {
    out.push(tick);
    if (i % every === 0 && j < extra.length) out.push({ ...(extra[j++] as object), ts: (tick as { ts: number }).ts });
  });
  return out;
}

describe('a full scope table evicts the least valuable scope instead of locking new ones out', () => {
  it('after 10,000 junk scopes, every tick of a real match is taken (junk is evicted)', () => {
    // Four junk markets: 10,000 markets ticking once would hold the engine's time while the match catches up (future-ticks.test.ts).
    const engine = new VixEngine();
    expect(feed(engine, junk(10_000, START - 10_000, 'junk', 4))).toBe(10_000);
    const match = stream({ seed: 201, durationMs: 10 * MINUTE, scopes: [{ scope: 'rma-bay', markets: 4, meanGapMs: 2000 }] });
    expect(feed(engine, match)).toBe(match.length);
    expect(engine.stats()).toMatchObject({ scopes: 10_001, evictedScopes: 1, byReason: { too_many_scopes: 0 } });
    expect(engine.snapshot('rma-bay')).toMatchObject({ ticks: match.length, warm: true });
    expect(engine.snapshot('junk-0')).toBeNull(); // the least recently ticked junk went first
    expect(engine.snapshot('junk-1')).not.toBeNull();
  });

  it('sustained junk after that evicts junk, never the real match: a warm scope outlives any amount of cold junk', () => {
    const engine = new VixEngine({ maxScopes: 1000 });
    feed(engine, junk(1000, START - 1000));
    const match = stream({ seed: 202, durationMs: 15 * MINUTE, scopes: [{ scope: 'rma-bay', markets: 4, meanGapMs: 2000 }] });
    // 20 junk scopes after every tick of the match: 20 times the table, cycled through.
    const flood = junk(match.length * 20, 0, 'more');
    const mixed: unknown[] = [];
    match.forEach((tick, i) => {
      mixed.push(tick);
      for (let k = 0; k < 20; k += 1) mixed.push({ ...(flood[i * 20 + k] as object), ts: (tick as { ts: number }).ts });
    });
    expect(feed(engine, mixed)).toBe(mixed.length);
    expect(engine.snapshot('rma-bay')).toMatchObject({ ticks: match.length, warm: true });
    expect(engine.stats()).toMatchObject({ scopes: 1001, byReason: { too_many_scopes: 0 } });
    expect(engine.stats().evictedScopes).toBe(flood.length + 1); // and one for the match itself
  });

  it('order: a calm scope still warming up goes first, then a warm calm one; a scope in panic is never evicted', () => {
    const { engine, transitions } = recordingEngine({ maxScopes: 2 });
    const ticks = stream({ seed: 203, durationMs: 30 * MINUTE, events: [{ scope: 'a', atMs: 20 * MINUTE, durationMs: 8 * MINUTE, volatility: 10 }] });
    let i = 0;
    while (engine.status('a') !== 'panic') engine.ingest(ticks[i++]);
    const at = (ticks[i - 1] as { ts: number }).ts;
    expect(engine.snapshot('b')).toMatchObject({ warm: true, status: 'calm' });
    // a panics, b is warm and calm: a new scope c replaces b.
    expect(engine.ingest({ market: 'c/m1', price: 2, ts: at, scope: 'c' }).accepted).toBe(true);
    expect(engine.snapshot('b')).toBeNull();
    // c is still warming up: d replaces c; a panics throughout.
    expect(engine.ingest({ market: 'd/m1', price: 2, ts: at, scope: 'd' }).accepted).toBe(true);
    expect(engine.snapshot('c')).toBeNull();
    expect(engine.status('a')).toBe('panic');
    expect(engine.stats().evictedScopes).toBe(2);
    expect(transitions.filter((t) => t.cause === 'evicted')).toEqual([]); // calm scopes leave without a transition
  });

  it('when every scope panics, a new scope is rejected (too_many_scopes) and changes nothing', () => {
    const engine = new VixEngine({ maxScopes: 2 });
    const ticks = stream({ seed: 204, durationMs: 30 * MINUTE, events: [{ atMs: 20 * MINUTE, durationMs: 8 * MINUTE, volatility: 10 }] });
    let i = 0;
    while (engine.status('a') !== 'panic' || engine.status('b') !== 'panic') engine.ingest(ticks[i++]);
    const at = (ticks[i - 1] as { ts: number }).ts;
    const before = engine.snapshots();
    expect(engine.ingest({ market: 'c/m1', price: 2, ts: at, scope: 'c' })).toEqual({ accepted: false, reason: 'too_many_scopes', rule: 'reject' });
    expect(engine.snapshots()).toEqual(before);
    expect(engine.ingest({ market: 'c/m1', price: 2, ts: at }).accepted).toBe(true); // the same tick without a scope feeds global
  });

  it('an elevated scope is evicted only when no calm one is left, and goes calm (cause evicted) as it leaves', () => {
    // panic out of reach, so the shock makes a elevated.
    const { engine, transitions } = recordingEngine({ maxScopes: 1, panic: { enter: 1e5, exit: 1e4 } });
    const ticks = stream({ seed: 205, durationMs: 30 * MINUTE, scopes: [{ scope: 'a', markets: 4, meanGapMs: 2000 }], events: [{ scope: 'a', atMs: 20 * MINUTE, durationMs: 8 * MINUTE, volatility: 10 }] });
    let i = 0;
    while (engine.status('a') !== 'elevated') engine.ingest(ticks[i++]);
    const at = (ticks[i - 1] as { ts: number }).ts;
    expect(engine.ingest({ market: 'z/m1', price: 2, ts: at, scope: 'z' }).accepted).toBe(true);
    expect(engine.snapshot('a')).toBeNull();
    expect(of(transitions, 'a').at(-1)).toEqual({ from: 'elevated', to: 'calm', ts: at, cause: 'evicted' });
  });

  it('junk mixed into a feed does not lock a new real scope out either', () => {
    const engine = new VixEngine({ maxScopes: 500 });
    const real = stream({ seed: 206, durationMs: 5 * MINUTE, scopes: [{ scope: 'late-match', markets: 3, meanGapMs: 2000 }] });
    const ticks = interleave([...junk(500, START - 500), ...real], junk(5000, 0, 'x'), 1);
    expect(feed(engine, ticks)).toBe(ticks.length);
    expect(engine.snapshot('late-match')).toMatchObject({ ticks: real.length });
  });
});
