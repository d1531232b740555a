import { describe, expect, it } from 'vitest';
import { AdaptivePanicQuota, InvalidConfigError, InvalidInputError, MatchImportance, PanicMode } from '../../src/index.js';
import { thrown } from '../support/thrown.js';

const quota = new AdaptivePanicQuota();
const EPS = 1e-6;
const SEVEN_DAYS_MIN = 7 * 24 * 60;

const SEED_TABLE = [
  { importance: 'high_stakes', league: 'Champions League', thresholds: [60, 180, 360], ttls: [0, 5, 30, 60] },
  { importance: 'medium_stakes', league: 'Ligue 1', thresholds: [30, 90, 180], ttls: [0, 5, 30, 60] },
  { importance: 'low_stakes', league: 'Ligue 2', thresholds: [15, 45, 90], ttls: [0, 5, 20, 45] },
] as const;

const MODES = [PanicMode.PANIC_FULL, PanicMode.PANIC_PARTIAL, PanicMode.DEGRADED, PanicMode.NEW_NORMAL];

describe('the seed tier table', () => {
  for (const row of SEED_TABLE) {
    describe(row.importance, () => {
      it('a panic that just started (0 min) is tier 1, TTL 0', () => {
        const d = quota.calculateTtlStrategy(60, 0, { league: row.league });
        expect(d).toMatchObject({ ttl: 0, mode: PanicMode.PANIC_FULL, tier: 1, importance: row.importance, panicDurationMin: 0, failSafe: false });
        expect(d.nextTierInMin).toBe(row.thresholds[0]);
      });

      row.thresholds.forEach((threshold, i) => {
        const before = i + 1;
        const after = i + 2;
        it(`just below ${threshold} min is tier ${before}`, () => {
          const d = quota.calculateTtlStrategy(60, threshold - EPS, { league: row.league });
          expect(d.tier).toBe(before);
          expect(d.ttl).toBe(row.ttls[before - 1]);
          expect(d.mode).toBe(MODES[before - 1]);
          expect(d.nextTierInMin).toBeCloseTo(EPS, 9);
        });
        it(`exactly ${threshold} min belongs to the later tier ${after}`, () => {
          const d = quota.calculateTtlStrategy(60, threshold, { league: row.league });
          expect(d.tier).toBe(after);
          expect(d.ttl).toBe(row.ttls[after - 1]);
          expect(d.mode).toBe(MODES[after - 1]);
        });
        it(`just above ${threshold} min is tier ${after}`, () => {
          const d = quota.calculateTtlStrategy(60, threshold + EPS, { league: row.league });
          expect(d.tier).toBe(after);
          expect(d.ttl).toBe(row.ttls[after - 1]);
        });
      });

      it('a panic of 7 days is tier 4 (NEW_NORMAL) with no next tier', () => {
        const d = quota.calculateTtlStrategy(60, SEVEN_DAYS_MIN, { league: row.league });
        expect(d).toMatchObject({ tier: 4, mode: PanicMode.NEW_NORMAL, ttl: row.ttls[3], nextTierInMin: null });
      });
    });
  }

  it('the seed example: Ligue 1 after 45 minutes is tier 2, TTL 5', () => {
    expect(quota.calculateTtlStrategy(60, 45, { league: 'Ligue 1' })).toEqual({
      ttl: 5,
      mode: 'PANIC_PARTIAL',
      tier: 2,
      importance: 'medium_stakes',
      panicDurationMin: 45,
      nextTierInMin: 45,
      failSafe: false,
    });
  });
});

describe('no panic', () => {
  it('returns the base TTL, mode NORMAL, tier 0', () => {
    expect(quota.calculateTtlStrategy(60, null, { league: 'Ligue 1' })).toEqual({
      ttl: 60,
      mode: 'NORMAL',
      tier: 0,
      importance: 'medium_stakes',
      panicDurationMin: null,
      nextTierInMin: null,
      failSafe: false,
    });
  });

  it('keeps a base TTL larger than any tier TTL', () => {
    expect(quota.calculateTtlStrategy(3600, null).ttl).toBe(3600);
  });
});

describe('the base-TTL cap', () => {
  it('a tier TTL of 60 with base TTL 10 gives 10', () => {
    expect(quota.calculateTtlStrategy(10, 400, { importance: 'high_stakes' }).ttl).toBe(10);
  });
  it('base TTL 0 stays 0 at every tier', () => {
    for (const minutes of [0, 45, 120, 1000]) expect(quota.calculateTtlStrategy(0, minutes).ttl).toBe(0);
  });
  it('a base TTL under a tier TTL caps it, above it does not', () => {
    expect(quota.calculateTtlStrategy(3, 45).ttl).toBe(3);
    expect(quota.calculateTtlStrategy(7, 45).ttl).toBe(5);
  });
});

describe('invalid input throws a typed error naming the field', () => {
  const bad: Array<[string, () => unknown, string]> = [
    ['NaN base TTL', () => quota.calculateTtlStrategy(Number.NaN, 1), 'baseTtl'],
    ['negative base TTL', () => quota.calculateTtlStrategy(-1, 1), 'baseTtl'],
    ['infinite base TTL', () => quota.calculateTtlStrategy(Number.POSITIVE_INFINITY, 1), 'baseTtl'],
    ['string base TTL', () => quota.calculateTtlStrategy('60' as unknown as number, 1), 'baseTtl'],
    ['negative duration', () => quota.calculateTtlStrategy(60, -0.5), 'panicDurationMinutes'],
    ['NaN duration', () => quota.calculateTtlStrategy(60, Number.NaN), 'panicDurationMinutes'],
    ['infinite duration', () => quota.calculateTtlStrategy(60, Number.POSITIVE_INFINITY), 'panicDurationMinutes'],
    ['unknown explicit importance', () => quota.calculateTtlStrategy(60, 1, { importance: 'ultra' as 'high_stakes' }), 'match.importance'],
    ['a league that is not a string', () => quota.calculateTtlStrategy(60, 1, { league: 42 as unknown as string }), 'match.league'],
    ['a match that is not an object', () => quota.calculateTtlStrategy(60, 1, 'Ligue 1' as never), 'match'],
  ];
  for (const [name, call, field] of bad) {
    it(name, () => {
      expect(call).toThrow(InvalidInputError);
      try {
        call();
      } catch (error) {
        expect((error as InvalidInputError).field).toBe(field);
        expect((error as InvalidInputError).code).toBe('VIX_TTL_INVALID_INPUT');
        expect((error as Error).message).toMatch(new RegExp(`^${field.replace('.', '\\.')} .*, got `));
      }
    });
  }
  it('the message shows the offending value', () => {
    expect(() => quota.calculateTtlStrategy(Number.NaN, 1)).toThrow('baseTtl must be a finite number ≥ 0, got NaN');
  });
});

describe('match classification', () => {
  const cases: Array<[string, Parameters<typeof MatchImportance.classify>[0], string]> = [
    ['explicit importance wins over everything', { importance: 'low_stakes', league: 'Champions League', matchType: 'final' }, 'low_stakes'],
    ['a final is high stakes even in Ligue 2', { league: 'Ligue 2', matchType: 'Final' }, 'high_stakes'],
    ['a semi-final is high stakes', { league: 'Ligue 1', matchType: 'Semi-Final' }, 'high_stakes'],
    ['a derby is high stakes', { league: 'Premier League', matchType: 'derby' }, 'high_stakes'],
    ['El Clásico is high stakes', { league: 'La Liga', matchType: 'El Clasico' }, 'high_stakes'],
    ['a friendly is low stakes even between top clubs', { league: 'Champions League', matchType: 'friendly' }, 'low_stakes'],
    ['UCL is the Champions League', { league: 'UCL' }, 'high_stakes'],
    ['"Ligue des Champions" is the Champions League', { league: 'Ligue des Champions' }, 'high_stakes'],
    ['case, accents and punctuation do not matter', { league: 'LIGUE-DES-CHAMPIONS!' }, 'high_stakes'],
    ['accents are folded', { league: 'Copa America' }, 'high_stakes'],
    ['Ligue 1 is medium stakes', { league: 'ligue 1' }, 'medium_stakes'],
    ['Premier League is medium stakes', { league: 'Premier League' }, 'medium_stakes'],
    ['Ligue 2 is low stakes', { league: 'Ligue 2' }, 'low_stakes'],
    ['"Amicaux" are low stakes', { league: 'Amicaux' }, 'low_stakes'],
    ['an unknown league is medium stakes', { league: 'Sunday League of Nowhere' }, 'medium_stakes'],
    ['an empty context is medium stakes', {}, 'medium_stakes'],
    ['no context is medium stakes', undefined, 'medium_stakes'],
    ['empty strings are medium stakes', { league: '', matchType: '' }, 'medium_stakes'],
    ['an unknown match type falls through to the league', { league: 'Ligue 2', matchType: 'regular season' }, 'low_stakes'],
  ];
  for (const [name, match, expected] of cases) {
    it(name, () => expect(MatchImportance.classify(match)).toBe(expected));
  }

  it('exposes the three importances as constants', () => {
    expect([MatchImportance.HIGH_STAKES, MatchImportance.MEDIUM_STAKES, MatchImportance.LOW_STAKES]).toEqual(['high_stakes', 'medium_stakes', 'low_stakes']);
  });

  it('an importance whose list is given as undefined keeps its default list (a spread would erase it)', () => {
    const custom = new AdaptivePanicQuota({ leagues: { high_stakes: undefined, low_stakes: ['Coupe de la Ligue'] }, matchTypes: { high_stakes: undefined } });
    expect(custom.classify({ league: 'Champions League' })).toBe('high_stakes');
    expect(custom.classify({ matchType: 'final' })).toBe('high_stakes');
    expect(custom.classify({ league: 'Coupe de la Ligue' })).toBe('low_stakes');
    expect(custom.policy.leagues).toEqual(new AdaptivePanicQuota({ leagues: { low_stakes: ['Coupe de la Ligue'] } }).policy.leagues);
  });

  it('a custom policy classifies with its own league lists', () => {
    const custom = new AdaptivePanicQuota({ leagues: { high_stakes: ['Coupe de France'] } });
    expect(custom.classify({ league: 'coupe de france' })).toBe('high_stakes');
    expect(custom.classify({ league: 'Champions League' })).toBe('medium_stakes');
  });
});

describe('a configurable policy', () => {
  it('custom tiers are applied', () => {
    const custom = new AdaptivePanicQuota({ tiers: { medium_stakes: { thresholdsMin: [10, 20, 30], ttlSeconds: [1, 2, 3, 4] } } });
    expect(custom.calculateTtlStrategy(60, 15).ttl).toBe(2);
    expect(custom.calculateTtlStrategy(60, 15, { league: 'Ligue 2' }).ttl).toBe(5);
  });

  const rejected: Array<[string, unknown, string]> = [
    ['non-increasing thresholds', { tiers: { high_stakes: { thresholdsMin: [60, 60, 360], ttlSeconds: [0, 5, 30, 60] } } }, 'policy.tiers.high_stakes.thresholdsMin'],
    ['decreasing thresholds', { tiers: { low_stakes: { thresholdsMin: [45, 15, 90], ttlSeconds: [0, 5, 20, 45] } } }, 'policy.tiers.low_stakes.thresholdsMin'],
    ['a negative TTL', { tiers: { low_stakes: { thresholdsMin: [15, 45, 90], ttlSeconds: [0, -5, 20, 45] } } }, 'policy.tiers.low_stakes.ttlSeconds.1'],
    ['a TTL that decreases', { tiers: { low_stakes: { thresholdsMin: [15, 45, 90], ttlSeconds: [0, 30, 20, 45] } } }, 'policy.tiers.low_stakes.ttlSeconds'],
    ['an unknown importance', { tiers: { ultra_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [0, 1, 2, 3] } } }, 'policy.tiers'],
    ['an unknown option', { tier: {} }, 'policy'],
    ['three TTLs instead of four', { tiers: { low_stakes: { thresholdsMin: [15, 45, 90], ttlSeconds: [0, 5, 20] } } }, 'policy.tiers.low_stakes.ttlSeconds'],
    ['a non-finite threshold', { tiers: { low_stakes: { thresholdsMin: [15, 45, Number.POSITIVE_INFINITY], ttlSeconds: [0, 5, 20, 45] } } }, 'policy.tiers.low_stakes.thresholdsMin.2'],
    ['a league under two importances', { leagues: { low_stakes: ['Ligue 1'] } }, 'policy.leagues.low_stakes'],
    ['an empty league name', { leagues: { high_stakes: [' '] } }, 'policy.leagues.high_stakes.0'],
  ];
  for (const [name, options, field] of rejected) {
    it(`rejects ${name} at construction, naming ${field}`, () => {
      const caught = thrown(() => new AdaptivePanicQuota(options as never));
      expect(caught).toBeInstanceOf(InvalidConfigError);
      expect((caught as InvalidConfigError).field).toBe(field);
      expect((caught as Error).message.startsWith(field)).toBe(true);
    });
  }

  it('the resolved policy is frozen', () => {
    expect(Object.isFrozen(quota.policy)).toBe(true);
    expect(Object.isFrozen(quota.policy.tiers.high_stakes.thresholdsMin)).toBe(true);
  });
});

describe('the tier plan', () => {
  it('lists the four tiers with their windows and capped TTLs', () => {
    expect(quota.plan(20, { league: 'Ligue 2' })).toEqual([
      { tier: 1, mode: 'PANIC_FULL', fromMin: 0, untilMin: 15, ttl: 0 },
      { tier: 2, mode: 'PANIC_PARTIAL', fromMin: 15, untilMin: 45, ttl: 5 },
      { tier: 3, mode: 'DEGRADED', fromMin: 45, untilMin: 90, ttl: 20 },
      { tier: 4, mode: 'NEW_NORMAL', fromMin: 90, untilMin: null, ttl: 20 },
    ]);
  });
});

describe('the fail-safe decision', () => {
  it('is TTL 0, PANIC_FULL, tier 1, flagged with its reason, whatever the base TTL', () => {
    expect(quota.failSafeDecision(600, { league: 'UCL' }, 'store_timeout')).toEqual({
      ttl: 0,
      mode: 'PANIC_FULL',
      tier: 1,
      importance: 'high_stakes',
      panicDurationMin: null,
      nextTierInMin: null,
      failSafe: true,
      reason: 'store_timeout',
    });
  });
});
