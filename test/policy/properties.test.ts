import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptivePanicQuota, DEFAULT_IGNORED_AFFIXES, DEFAULT_LEAGUES, IMPORTANCES, MatchImportance, type MatchContext } from '../../src/index.js';
import { normalizeName } from '../../src/policy/normalize-name.js';

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

describe('classification properties: a known name keeps its class however it is decorated', () => {
  const known = IMPORTANCES.flatMap((importance) => DEFAULT_LEAGUES[importance].map((name) => [name, importance] as const));
  const listed = new Map(known.map(([name, importance]) => [normalizeName(name), importance]));
  const year = fc.integer({ min: 1930, max: 2098 }); // a season starting in 2099 would end in 2100, past the years the classifier reads
  const edition = fc.oneof(
    year.map(String),
    year.map((y) => `${y}/${String((y + 1) % 100).padStart(2, '0')}`),
    year.map((y) => `${y}-${y + 1}`),
    year.map((y) => `${y}–${String((y + 1) % 100).padStart(2, '0')}`),
    year.map((y) => `${String(y % 100).padStart(2, '0')}/${String((y + 1) % 100).padStart(2, '0')}`),
    year.map((y) => `'${String(y % 100).padStart(2, '0')}`),
    year.map((y) => `Season ${y}/${String((y + 1) % 100).padStart(2, '0')}`),
  );
  /** Random case, accents on some letters, and a random separator between words. */
  const restyled = (name: string) =>
    fc.tuple(fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }), fc.array(fc.constantFrom(' ', '  ', '-', ' - ', '_', '.', ' · '), { minLength: 20, maxLength: 20 })).map(([flips, separators]) => {
      let word = 0;
      return [...name]
        .map((char, i) => {
          if (char === ' ') return separators[word++ % separators.length];
          const cased = flips[i] ? char.toUpperCase() : char.toLowerCase();
          return flips[(i + 1) % flips.length] && /[a-z]/i.test(char) ? `${cased}\u0301` : cased;
        })
        .join('');
    });
  const decorated = fc
    .tuple(fc.constantFrom(...known), edition, fc.boolean(), fc.option(fc.constantFrom(...DEFAULT_IGNORED_AFFIXES), { nil: null }), fc.boolean())
    .chain(([[name, importance], ed, editionFirst, affix, affixFirst]) => {
      const withAffix = affix === null ? name : affixFirst ? `${affix} ${name}` : `${name} ${affix}`;
      const full = editionFirst ? `${ed} ${withAffix}` : `${withAffix} ${ed}`;
      return restyled(full).map((text) => ({ name, importance, affix, withAffix, text }));
    });

  it('an edition (year, season), a known sponsor or organiser, case, accents and punctuation do not change a listed name’s class', () => {
    fc.assert(
      fc.property(decorated, ({ importance, withAffix, text }) => {
        // "CAF Champions League" is listed on its own: an affix that makes another listed name is not a decoration.
        const alsoListed = listed.get(normalizeName(withAffix));
        fc.pre(alsoListed === undefined || alsoListed === importance);
        expect(MatchImportance.classify({ league: text })).toBe(importance);
      }),
      { numRuns: 3000 },
    );
  });

  it('a random name is classified like itself with an edition added (a year never makes an unknown name known)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), year, (name, y) => {
        fc.pre(!/\d/.test(name));
        expect(MatchImportance.classify({ league: `${name} ${y}` })).toBe(MatchImportance.classify({ league: name }));
      }),
      { numRuns: 2000 },
    );
  });
});
