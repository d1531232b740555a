import { describe, expect, it } from 'vitest';
import { RateWindow } from '../../src/server/state/rate-window.js';
import { ScopeTracker } from '../../src/server/state/scope-tracker.js';
import { PanicMode, type TtlDecision } from '../../src/index.js';

describe('decisions per second by tier', () => {
  it('averages over the seconds since it started, then over a 10 s sliding window', () => {
    const t0 = 1_000_000;
    const window = new RateWindow(10, t0);
    for (let i = 0; i < 20; i += 1) window.add(1, t0 + 100);
    window.add(3, t0 + 1500);
    expect(window.perSecond(t0 + 2000)).toEqual([0, 10, 0, 0.5, 0]);
    for (let s = 0; s < 30; s += 1) window.add(0, t0 + s * 1000 + 10);
    // At t0 + 30 s only the last 10 one-second buckets count: 1 decision per second in tier 0.
    expect(window.perSecond(t0 + 29_999)[0]).toBeCloseTo(1, 0);
    expect(window.perSecond(t0 + 29_999)[1]).toBe(0);
  });
});

describe('the scope tracker', () => {
  const decision = (tier: 0 | 1, failSafe = false): TtlDecision => ({ ttl: 0, mode: tier ? PanicMode.PANIC_FULL : PanicMode.NORMAL, tier, importance: 'medium_stakes', panicDurationMin: null, nextTierInMin: null, failSafe, reason: failSafe ? 'store_timeout' : undefined });

  it('keeps global plus at most maxScopes named scopes, least recently used dropped first', () => {
    const tracker = new ScopeTracker({ maxScopes: 2 });
    for (const scope of ['a', 'b', 'c']) tracker.record(scope, decision(0));
    expect(tracker.list().map((s) => s.scope)).toEqual(['global', 'c', 'b']);
  });

  it('tracks a run of fail-safe decisions and reports tier changes once', () => {
    const changes: string[] = [];
    const tracker = new ScopeTracker({ maxScopes: 5 });
    tracker.onChange((scope) => changes.push(scope));
    tracker.record('x', decision(1, true));
    tracker.record('x', decision(1, true));
    const failing = tracker.touch('x');
    expect(failing).toMatchObject({ failSafe: true, failSafeReason: 'store_timeout', decisions: 2 });
    const since = failing.failSafeSinceMs;
    tracker.record('x', decision(1, true));
    expect(tracker.touch('x').failSafeSinceMs).toBe(since);
    tracker.record('x', decision(1));
    expect(tracker.touch('x')).toMatchObject({ failSafe: false, failSafeSinceMs: null });
    expect(changes).toEqual(['x', 'x']);
  });
});
