import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptivePanicQuota, type MatchContext } from '../../src/index.js';

const quota = new AdaptivePanicQuota();
const baseTtl = fc.oneof(fc.constantFrom(0, 1, 5, 10, 30, 60, 3600), fc.double({ min: 0, max: 1e6, noNaN: true }));
const minutes = fc.oneof(fc.constantFrom(0, 15, 30, 45, 60, 90, 180, 360, 10_080), fc.double({ min: 0, max: 1e7, noNaN: true }));
const match: fc.Arbitrary<MatchContext | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ importance: fc.constantFrom('high_stakes', 'medium_stakes', 'low_stakes') as fc.Arbitrary<MatchContext['importance']> }),
  fc.record({ league: fc.oneof(fc.constantFrom('UCL', 'Ligue 1', 'Ligue 2', 'Premier League'), fc.string()) }, { requiredKeys: [] }),
  fc.record({ league: fc.string(), matchType: fc.oneof(fc.constantFrom('final', 'friendly', 'derby'), fc.string()) }, { requiredKeys: [] }),
);

describe('policy properties', () => {
  it('the TTL never exceeds the base TTL', () => {
    fc.assert(
      fc.property(baseTtl, fc.option(minutes, { nil: null }), match, (base, duration, ctx) => {
        expect(quota.calculateTtlStrategy(base, duration, ctx).ttl).toBeLessThanOrEqual(base);
      }),
      { numRuns: 2000 },
    );
  });

  it('the tier (and the TTL) never decrease as the duration grows', () => {
    fc.assert(
      fc.property(baseTtl, minutes, minutes, match, (base, a, b, ctx) => {
        const [shorter, longer] = a <= b ? [a, b] : [b, a];
        const first = quota.calculateTtlStrategy(base, shorter, ctx);
        const second = quota.calculateTtlStrategy(base, longer, ctx);
        expect(second.tier).toBeGreaterThanOrEqual(first.tier);
        expect(second.ttl).toBeGreaterThanOrEqual(first.ttl);
      }),
      { numRuns: 2000 },
    );
  });

  it('the same input gives the same output, from the same or a fresh policy', () => {
    fc.assert(
      fc.property(baseTtl, fc.option(minutes, { nil: null }), match, (base, duration, ctx) => {
        const first = quota.calculateTtlStrategy(base, duration, ctx);
        expect(quota.calculateTtlStrategy(base, duration, ctx)).toEqual(first);
        expect(new AdaptivePanicQuota().calculateTtlStrategy(base, duration, ctx)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('a panic decision is tier 1–4 and agrees with its mode; no panic is tier 0', () => {
    const modes = ['PANIC_FULL', 'PANIC_PARTIAL', 'DEGRADED', 'NEW_NORMAL'];
    fc.assert(
      fc.property(baseTtl, fc.option(minutes, { nil: null }), match, (base, duration, ctx) => {
        const d = quota.calculateTtlStrategy(base, duration, ctx);
        if (duration === null) expect([d.tier, d.mode, d.ttl]).toEqual([0, 'NORMAL', base]);
        else expect(d.mode).toBe(modes[d.tier - 1]);
      }),
      { numRuns: 1000 },
    );
  });

  it('calling does not change the policy or the match context', () => {
    const before = JSON.stringify(quota.policy.tiers);
    fc.assert(
      fc.property(baseTtl, minutes, match, (base, duration, ctx) => {
        const copy = JSON.stringify(ctx);
        quota.calculateTtlStrategy(base, duration, ctx);
        expect(JSON.stringify(ctx)).toBe(copy);
      }),
      { numRuns: 300 },
    );
    expect(JSON.stringify(quota.policy.tiers)).toBe(before);
  });
});
