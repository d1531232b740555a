import { z } from 'zod';
import { InvalidConfigError } from '../core/errors.js';
import { configErrorFrom } from '../core/parse-options.js';
import { IMPORTANCES, type Importance } from './importance.js';
import { normalizeName } from './normalize-name.js';

/**
 * When each tier starts and what TTL it allows, for one importance.
 * `thresholdsMin[i]` is the panic minute at which tier `i + 2` begins.
 */
export interface TierTable {
  thresholdsMin: readonly [number, number, number];
  ttlSeconds: readonly [number, number, number, number];
}

/** Options of {@link AdaptivePanicQuota}; every field overrides the seed default it names. */
export interface PanicPolicyOptions {
  /** Tier table per importance; replaces the default table of that importance (absent or undefined keeps it). */
  tiers?: Partial<Record<Importance, TierTable | undefined>> | undefined;
  /** League names (and aliases) per importance; replaces the default list of that importance (absent or undefined keeps it). */
  leagues?: Partial<Record<Importance, readonly string[] | undefined>> | undefined;
  /** Match types (final, derby, friendly…) per importance; replaces the default list of that importance (absent or undefined keeps it). */
  matchTypes?: Partial<Record<Importance, readonly string[] | undefined>> | undefined;
  /**
   * Single words that classify a match type containing them, when the type is not
   * listed whole ("Derby della Madonnina", "Club Friendly"); replaces the default list of
   * that importance ({@link DEFAULT_MATCH_TYPE_WORDS}; absent or undefined keeps it).
   */
  matchTypeWords?: Partial<Record<Importance, readonly string[] | undefined>> | undefined;
  /**
   * Sponsor and organiser names ignored at either end of a league or match-type name
   * ("Barclays Premier League", "Ligue 1 McDonald's", "UEFA Champions League");
   * replaces {@link DEFAULT_IGNORED_AFFIXES}.
   */
  ignoredAffixes?: readonly string[] | undefined;
}

/** A policy with every default filled in and names normalised, frozen after construction. */
export interface ResolvedPanicPolicy {
  readonly tiers: Readonly<Record<Importance, TierTable>>;
  readonly leagues: ReadonlyMap<string, Importance>;
  readonly matchTypes: ReadonlyMap<string, Importance>;
  /** Folded words of {@link PanicPolicyOptions.matchTypeWords}, each with its importance. */
  readonly matchTypeWords: ReadonlyMap<string, Importance>;
  /** The ignored affixes, folded into words, longest first. */
  readonly ignoredAffixes: readonly (readonly string[])[];
}

/** The seed's tier table (SPEC §2). */
export const DEFAULT_TIERS: Readonly<Record<Importance, TierTable>> = {
  high_stakes: { thresholdsMin: [60, 180, 360], ttlSeconds: [0, 5, 30, 60] },
  medium_stakes: { thresholdsMin: [30, 90, 180], ttlSeconds: [0, 5, 30, 60] },
  low_stakes: { thresholdsMin: [15, 45, 90], ttlSeconds: [0, 5, 20, 45] },
};

/**
 * Leagues known out of the box, with the aliases people actually type. Names are
 * matched whole once folded (case, accents, punctuation), with and without their
 * edition (years, seasons) and {@link DEFAULT_IGNORED_AFFIXES}. Major finals
 * tournaments are high stakes, men's or women's; their qualifiers and youth (U21…)
 * editions are not listed, so they are medium stakes like any unknown name. The
 * other confederations' Champions Leagues are listed as medium so that dropping
 * their organiser ("CAF") does not make them the UEFA one.
 */
export const DEFAULT_LEAGUES: Readonly<Record<Importance, readonly string[]>> = {
  high_stakes: [
    'Champions League', 'UEFA Champions League', 'UCL', 'Ligue des Champions',
    'Liga de Campeones', 'Liga dos Campeões', 'Lega dei Campioni',
    'World Cup', 'FIFA World Cup', 'Coupe du Monde', 'Mondial', 'Mundial',
    'Copa Mundial', 'Copa del Mundo', 'Copa do Mundo', 'Coppa del Mondo', 'Mondiali', 'Weltmeisterschaft', 'Fußball-Weltmeisterschaft',
    'Euro', 'UEFA Euro', 'Euros', 'European Championship', 'Championnat d\'Europe',
    'Eurocopa', 'Europameisterschaft', 'Europei', 'Campionato Europeo', 'Campeonato Europeo', 'Campeonato Europeu',
    'Copa América', 'Copa Libertadores', 'Libertadores',
    'Africa Cup of Nations', 'African Cup of Nations', 'AFCON', 'CAN', 'Coupe d\'Afrique des Nations',
    'Asian Cup', 'Coupe d\'Asie des Nations', 'Gold Cup',
    'Club World Cup', 'Coupe du Monde des Clubs',
    'Nations League Finals', 'Finales de la Ligue des Nations',
    'Women\'s World Cup', 'Coupe du Monde Féminine', 'Women\'s Euro', 'Euro Féminin',
  ],
  medium_stakes: [
    'Ligue 1', 'Premier League', 'English Premier League', 'EPL',
    'La Liga', 'LaLiga', 'Serie A', 'Bundesliga', 'Eredivisie', 'Primeira Liga', 'Liga Portugal',
    'Europa League', 'UEFA Europa League', 'UEL', 'Ligue Europa',
    'Conference League', 'Europa Conference League', 'Ligue Europa Conférence',
    'Nations League', 'Ligue des Nations',
    'CAF Champions League', 'AFC Champions League', 'CONCACAF Champions League', 'OFC Champions League',
  ],
  low_stakes: [
    // second divisions
    'Ligue 2', 'Championship', 'EFL Championship', 'Segunda División', 'LaLiga 2', 'LaLiga Hypermotion', 'LaLiga SmartBank',
    'Serie B', 'Serie BKT', '2. Bundesliga', 'Bundesliga 2', 'Liga Portugal 2', 'Eerste Divisie', 'Keuken Kampioen Divisie',
    // third divisions
    'National', 'Championnat National', '3. Liga', 'League One', 'League Two', 'Serie C',
    'Primera Federación', 'Primera RFEF', 'Segunda División B', 'Liga 3', 'Tweede Divisie',
    // friendlies
    'Friendlies', 'Club Friendlies', 'International Friendlies', 'Amicaux', 'Matchs amicaux',
    'Friendly', 'Club Friendly', 'International Friendly', 'Friendly Games', 'Club Friendly Games', 'Match amical',
  ],
};

/**
 * Match types that override the league. "Final", "Finals" and "Finale" are finals;
 * semi-finals are high stakes too; quarter-finals and earlier rounds are not listed,
 * so the league decides (a Champions League quarter-final stays high stakes). The
 * well-known derbies and clásicos are listed by name; any other type containing the
 * word "derby" is high stakes by {@link DEFAULT_MATCH_TYPE_WORDS}.
 */
export const DEFAULT_MATCH_TYPES: Readonly<Record<Importance, readonly string[]>> = {
  high_stakes: [
    'final', 'finals', 'cup final', 'grand final', 'play-off final', 'playoff final', 'finale', 'finales',
    'semi-final', 'semi-finals', 'semifinal', 'semifinals', 'demi-finale', 'demi-finales', '1/2 finale', '1/2 finales',
    'derby', 'El Clásico', 'clasico', 'le classique', 'classique',
    'Der Klassiker', 'Old Firm', 'Revierderby', 'Superclásico', 'O Clássico', 'Clássico', 'Olympico', 'Choc des Olympiques',
  ],
  medium_stakes: [],
  low_stakes: ['friendly', 'friendlies', 'friendly match', 'amical', 'amicaux', 'match amical', 'matchs amicaux', 'pre-season', 'preseason', 'testimonial'],
};

/**
 * Words that classify a match type containing them when it is not listed whole:
 * "North London Derby", "Derby della Madonnina", "Derbi madrileño" are high stakes,
 * "Club Friendly" and "Match amical de gala" low. A low-stakes word wins over a
 * high-stakes one (a friendly derby is a friendly). Only match types are read word by
 * word: league names are always matched whole.
 */
export const DEFAULT_MATCH_TYPE_WORDS: Readonly<Record<Importance, readonly string[]>> = {
  high_stakes: ['derby', 'derbi', 'derbies'],
  medium_stakes: [],
  low_stakes: ['friendly', 'friendlies', 'amical', 'amicaux', 'amistoso', 'amichevole', 'freundschaftsspiel', 'testspiel'],
};

/**
 * Organisers and sponsors that do not change a competition: "UEFA Champions League",
 * "Barclays Premier League", "Ligue 1 McDonald's", "Ligue 2 BKT", "Sky Bet Championship".
 * A sponsor that names a different competition is not here: "LaLiga Hypermotion" is
 * the second division, listed as such.
 */
export const DEFAULT_IGNORED_AFFIXES: readonly string[] = [
  // organisers
  'UEFA', 'FIFA', 'CONMEBOL', 'CONCACAF', 'CAF', 'AFC', 'OFC', 'EFL', 'LFP',
  // sponsors, past and present
  'Barclays', 'Barclaycard', 'Sky Bet', 'Emirates', 'Vanarama',
  'Uber Eats', 'McDonald\'s', 'McDonalds', 'Conforama', 'Domino\'s', 'BKT', 'Orange',
  'Santander', 'EA Sports', 'TIM', 'Enilive', 'Betclic', 'bwin', 'TotalEnergies', 'Trendyol',
];

const tierTableSchema = z
  .strictObject({
    thresholdsMin: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    ttlSeconds: z.tuple([z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative()]),
  })
  .superRefine((table, ctx) => {
    const [t2, t3, t4] = table.thresholdsMin;
    if (!(t2 < t3 && t3 < t4)) {
      ctx.addIssue({ code: 'custom', path: ['thresholdsMin'], message: `thresholds must be strictly increasing, got [${table.thresholdsMin.join(', ')}]` });
    }
    const ttls = table.ttlSeconds;
    if (ttls.some((ttl, i) => i > 0 && ttl < ttls[i - 1]!)) {
      ctx.addIssue({ code: 'custom', path: ['ttlSeconds'], message: `TTLs must not decrease from one tier to the next, got [${ttls.join(', ')}]` });
    }
  });

const nameListSchema = z.array(z.string().trim().min(1, 'names must not be empty'));

const perImportance = <T extends z.ZodType>(schema: T) =>
  z.strictObject(Object.fromEntries(IMPORTANCES.map((importance) => [importance, schema.optional()])) as Record<Importance, z.ZodOptional<T>>);

const affixListSchema = z.array(
  z
    .string()
    .max(100, 'affixes must be at most 100 characters')
    .refine((name) => normalizeName(name) !== '', 'affixes must contain a letter or a digit'),
);

/**
 * The schema of {@link PanicPolicyOptions}: what `resolvePanicPolicy` checks, and
 * the `policy` section of the service's config file.
 */
export const panicPolicyOptionsSchema = z.strictObject({
  tiers: perImportance(tierTableSchema).optional(),
  leagues: perImportance(nameListSchema).optional(),
  matchTypes: perImportance(nameListSchema).optional(),
  matchTypeWords: perImportance(z.array(z.string().refine((word) => /^[\p{L}\p{N}]+$/u.test(normalizeName(word)), 'must be one word of letters or digits'))).optional(),
  ignoredAffixes: affixListSchema.optional(),
});

const optionsSchema = panicPolicyOptionsSchema.optional();

/**
 * Validates policy options and fills in the defaults.
 * @throws InvalidConfigError naming the first offending field.
 */
export function resolvePanicPolicy(options?: PanicPolicyOptions): ResolvedPanicPolicy {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw configErrorFrom(parsed.error, 'policy');
  const given = parsed.data ?? {};
  const tiers = {} as Record<Importance, TierTable>;
  for (const importance of IMPORTANCES) {
    const table = given.tiers?.[importance] ?? DEFAULT_TIERS[importance];
    tiers[importance] = Object.freeze({
      thresholdsMin: Object.freeze([...table.thresholdsMin]) as unknown as TierTable['thresholdsMin'],
      ttlSeconds: Object.freeze([...table.ttlSeconds]) as unknown as TierTable['ttlSeconds'],
    });
  }
  return Object.freeze({
    tiers: Object.freeze(tiers),
    leagues: indexNames('policy.leagues', withDefaults(given.leagues, DEFAULT_LEAGUES)),
    matchTypes: indexNames('policy.matchTypes', withDefaults(given.matchTypes, DEFAULT_MATCH_TYPES)),
    matchTypeWords: indexNames('policy.matchTypeWords', withDefaults(given.matchTypeWords, DEFAULT_MATCH_TYPE_WORDS)),
    ignoredAffixes: foldAffixes(given.ignoredAffixes ?? DEFAULT_IGNORED_AFFIXES),
  });
}

/** The given list of each importance, or its default when the list is absent or undefined (a spread would let `undefined` erase the default). */
function withDefaults(given: Partial<Record<Importance, readonly string[] | undefined>> | undefined, defaults: Readonly<Record<Importance, readonly string[]>>): Record<Importance, readonly string[]> {
  return Object.fromEntries(IMPORTANCES.map((importance) => [importance, given?.[importance] ?? defaults[importance]])) as Record<Importance, readonly string[]>;
}

function indexNames(field: string, lists: Partial<Record<Importance, readonly string[]>>): ReadonlyMap<string, Importance> {
  const index = new Map<string, Importance>();
  for (const importance of IMPORTANCES) {
    for (const name of lists[importance] ?? []) {
      const key = normalizeName(name);
      const previous = index.get(key);
      if (previous !== undefined && previous !== importance) {
        throw new InvalidConfigError(`${field}.${importance}`, `"${name}" is already listed under ${previous}`);
      }
      index.set(key, importance);
    }
  }
  return index;
}

/** Affixes as folded word lists, longest first, so "Sky Bet" is tried before a shorter affix it starts with. */
function foldAffixes(affixes: readonly string[]): readonly (readonly string[])[] {
  const unique = [...new Set(affixes.map(normalizeName))];
  return Object.freeze(unique.map((affix) => Object.freeze(affix.split(' '))).sort((a, b) => b.length - a.length));
}

