import { describe, expect, it } from 'vitest';
import { AdaptivePanicQuota, InvalidConfigError, MatchImportance, type Importance } from '../../src/index.js';
import { nameVariants, withoutEdition } from '../../src/policy/name-variants.js';
import { thrown } from '../support/thrown.js';

const HIGH = 'high_stakes';
const MEDIUM = 'medium_stakes';
const LOW = 'low_stakes';

/** Competition names as feeds, bookmakers, organisers and French media write them. */
const LEAGUES: Array<[string, Importance, string?]> = [
  // Major finals tournaments, with editions, organisers, sponsors and trademark signs
  ['UEFA EURO 2024', HIGH],
  ['EURO 2024™', HIGH],
  ['Euro 2020', HIGH],
  ["Euro '24", HIGH],
  ['EURO2024', HIGH],
  ['UEFA European Championship 2024', HIGH],
  ['Championnat d’Europe 2024', HIGH],
  ['World Cup 2026', HIGH],
  ['FIFA World Cup 2026™', HIGH],
  ['FIFA World Cup 26™', HIGH, 'the official brand of 2026: a two-digit year after a word'],
  ['Coupe du Monde 2026', HIGH],
  ['Coupe du monde de la FIFA 2026', HIGH, 'the organiser after a French link'],
  ['Mondial 2026', HIGH],
  ['Copa América 2024', HIGH],
  ['CONMEBOL Copa América 2024', HIGH],
  ['AFCON 2025', HIGH],
  ['TotalEnergies CAF Africa Cup of Nations 2023', HIGH, 'a sponsor, then an organiser'],
  ["Coupe d'Afrique des Nations 2025", HIGH],
  ['CAN 2025', HIGH],
  ['AFC Asian Cup 2023', HIGH],
  ['CONCACAF Gold Cup 2025', HIGH],
  ['FIFA Club World Cup 2025', HIGH],
  ['Coupe du Monde des Clubs de la FIFA 2025', HIGH],
  ['UEFA Nations League Finals 2025', HIGH, 'the final four: semi-finals and a final'],
  ["FIFA Women's World Cup 2023", HIGH, 'a senior finals tournament, whatever the gender'],
  ["UEFA Women's Euro 2025", HIGH],
  ['Coupe du Monde Féminine de la FIFA 2023', HIGH],
  // Club competitions: seasons in every spelling
  ['UEFA Champions League 2024/25', HIGH],
  ['Champions League 2024-2025', HIGH],
  ['Ligue des Champions 2024-2025', HIGH],
  ["Ligue des champions de l'UEFA 2024/2025", HIGH],
  ['UCL 24/25', HIGH],
  ['Champions League 2024–25', HIGH, 'an en dash'],
  ['CONMEBOL Libertadores 2025', HIGH],
  ['UEFA Europa League 2024/25', MEDIUM],
  ['UEFA Europa Conference League', MEDIUM],
  ['UEFA Nations League 2024/25', MEDIUM, 'the league phase is not the finals'],
  // Top leagues with their sponsors
  ['Barclays Premier League', MEDIUM],
  ['Premier League 2024/25', MEDIUM],
  ['Premier League season 2024/25', MEDIUM],
  ["Ligue 1 McDonald's", MEDIUM],
  ['Ligue 1 Uber Eats 2023-2024', MEDIUM],
  ['Ligue 1 Conforama', MEDIUM],
  ['Ligue 1 24/25', MEDIUM],
  ['LaLiga EA Sports 2024/25', MEDIUM],
  ['LaLiga Santander', MEDIUM],
  ['Serie A TIM', MEDIUM],
  ['Serie A Enilive 2024-25', MEDIUM],
  ['Liga Portugal Betclic', MEDIUM],
  ['Bundesliga 2024/25', MEDIUM],
  // Second divisions, whose sponsor can be their very name
  ['Ligue 2 BKT', LOW],
  ["Domino's Ligue 2", LOW],
  ['Ligue 2 2024', LOW],
  ['Sky Bet Championship', LOW],
  ['EFL Sky Bet Championship 2024/25', LOW, 'an organiser, then a sponsor'],
  ['LaLiga Hypermotion 2024/25', LOW, 'the sponsor names the second division: listed, never stripped'],
  ['Serie BKT 2024/25', LOW],
  ['2. Bundesliga 2024/25', LOW],
  ['Club Friendlies 2024', LOW],
  // Third divisions are low stakes like the second ones
  ['3. Liga', LOW],
  ['3. Liga 2024/25', LOW],
  ['EFL League One', LOW],
  ['Sky Bet League One 2024/25', LOW],
  ['EFL League Two', LOW, 'the fourth tier, lower still'],
  ['Serie C 2024/25', LOW],
  ['Primera Federación', LOW],
  ['National', LOW, 'the French third division'],
  // Friendlies as a competition, in the singular too
  ['Friendly', LOW],
  ['Club Friendly', LOW],
  ['Club Friendly Games', LOW],
  ['International Friendly 2025', LOW],
  // The Champions League and the World Cup in Spanish, Portuguese, Italian and German
  ['Liga de Campeones de la UEFA', HIGH, 'the organiser after a Spanish link'],
  ['Liga de Campeones 2024-25', HIGH],
  ['Liga dos Campeões da UEFA', HIGH, 'a Portuguese link'],
  ['Copa Mundial de la FIFA', HIGH],
  ['Copa Mundial de la FIFA 2026', HIGH],
  ['Copa del Mundo 2026', HIGH],
  ['Copa do Mundo da FIFA 2026', HIGH],
  ['Coppa del Mondo FIFA 2026', HIGH],
  ['FIFA-Weltmeisterschaft 2026', HIGH],
  ['Fußball-Weltmeisterschaft 2026', HIGH],
  ['UEFA Eurocopa 2024', HIGH],
  ['Fußball-Europameisterschaft 2024', MEDIUM, 'only the short German name is listed: "Fußball-" is not an affix'],
  // False positives that must not happen
  ['CAF Champions League', MEDIUM, 'another confederation’s Champions League is not the UEFA one'],
  ['AFC Champions League 2023/24', MEDIUM],
  ['Orange CAF Champions League Betclic', MEDIUM, 'the listed name is found before its organiser is dropped'],
  ['World Cup Qualifiers', MEDIUM, 'qualifiers are not the finals tournament'],
  ['FIFA World Cup qualification (UEFA)', MEDIUM],
  ['World Cup - Qualification Europe', MEDIUM],
  ['Éliminatoires de la Coupe du Monde 2026', MEDIUM],
  ['Euro 2024 Qualifying', MEDIUM],
  ['UEFA Euro U21 2025', MEDIUM, 'youth editions are not the senior tournament'],
  ['UEFA European Under-21 Championship 2025', MEDIUM],
  ['FIFA U-20 World Cup 2025', MEDIUM],
  ['Europa League 2024/25', MEDIUM, '"Euro" inside a word is not the Euro'],
  ['EuroLeague', MEDIUM],
  ['Euro Hockey League', MEDIUM],
  ["Barclays Women's Super League", MEDIUM],
  ['Ligue 1', MEDIUM, 'a one-digit number is part of the name, not an edition'],
];

describe('real competition names classify by what they are, not by their edition, sponsor or organiser', () => {
  it(`the table has at least 40 spellings (${LEAGUES.length})`, () => {
    expect(LEAGUES.length).toBeGreaterThanOrEqual(40);
  });

  for (const [league, expected, why] of LEAGUES) {
    it(`${JSON.stringify(league)} is ${expected}${why ? ` (${why})` : ''}`, () => {
      expect(MatchImportance.classify({ league })).toBe(expected);
    });
  }
});

describe('match types: finals and semi-finals are high stakes, earlier rounds leave it to the league', () => {
  const cases: Array<[string, string, Importance]> = [
    ['Finals', 'Ligue 2', HIGH],
    ['Final', 'Ligue 2', HIGH],
    ['Finale', 'Ligue 2', HIGH],
    ['Grand Final', 'Ligue 2', HIGH],
    ['Play-off Final', 'Championship', HIGH],
    ['Semi-finals', 'Ligue 2', HIGH],
    ['Demi-finales', 'Ligue 2', HIGH],
    ['Quarter-finals', 'Ligue 2', LOW],
    ['Quarter-finals', 'UEFA Champions League 2024/25', HIGH],
    ['1/4 de finale', 'Ligue 2 BKT', LOW],
    ['Huitièmes de finale', 'Ligue 1 McDonald’s', MEDIUM],
    ['Round of 16', 'Premier League', MEDIUM],
    ['Match amical', 'UEFA Champions League', LOW],
    ['1/2 finale', 'Ligue 2', HIGH],
    ['1/2 finales', 'Ligue 2', HIGH],
    ['Friendly', 'Ligue 1', LOW],
    ['Club Friendly', 'Ligue 1', LOW],
    ['International Friendly', 'Premier League', LOW],
    ['Amistoso', 'LaLiga', LOW],
    // Derbies: the well-known ones by name, any other by the word "derby"
    ['North London Derby', 'Premier League', HIGH],
    ['Merseyside derby', 'Premier League', HIGH],
    ['Derby della Madonnina', 'Serie A', HIGH],
    ["Derby d'Italia", 'Serie A', HIGH],
    ['Derbi madrileño', 'LaLiga', HIGH],
    ['Der Klassiker', 'Bundesliga', HIGH],
    ['Revierderby', 'Bundesliga', HIGH],
    ['Old Firm', 'Scottish Premiership', HIGH],
    ['Superclásico', 'Liga Profesional', HIGH],
    ['O Clássico', 'Liga Portugal', HIGH],
    ['Le Classique', 'Ligue 1', HIGH],
    ['Friendly derby', 'Ligue 1', LOW],
    ['Derby (club friendly)', 'Ligue 1', LOW],
  ];
  for (const [matchType, league, expected] of cases) {
    it(`${JSON.stringify(matchType)} in ${JSON.stringify(league)} is ${expected}`, () => {
      expect(MatchImportance.classify({ league, matchType })).toBe(expected);
    });
  }
});

describe('match-type words are configurable', () => {
  it('a custom list replaces the default of its importance; an empty one turns the rule off', () => {
    expect(new AdaptivePanicQuota({ matchTypeWords: { high_stakes: ['rivalry'] } }).classify({ matchType: 'The Big Rivalry' })).toBe(HIGH);
    expect(new AdaptivePanicQuota({ matchTypeWords: { high_stakes: [] } }).classify({ matchType: 'North London Derby' })).toBe(MEDIUM);
    expect(new AdaptivePanicQuota({ matchTypeWords: { high_stakes: [] } }).classify({ matchType: 'Derby' })).toBe(HIGH); // listed whole
    expect(MatchImportance.classify({ league: 'Derby League' })).toBe(MEDIUM); // leagues are never read word by word
  });

  it.each([
    ['two words', { matchTypeWords: { high_stakes: ['big match'] } }, 'policy.matchTypeWords.high_stakes.0'],
    ['a word listed under two importances', { matchTypeWords: { low_stakes: ['derby'] } }, 'policy.matchTypeWords.low_stakes'],
  ])('rejects %s at construction, naming %s', (_label, options, field) => {
    const caught = thrown(() => new AdaptivePanicQuota(options as never));
    expect(caught).toBeInstanceOf(InvalidConfigError);
    expect((caught as InvalidConfigError).field).toBe(field);
  });
});

describe('name variants', () => {
  it('drops years, seasons and short years, and nothing else', () => {
    expect(withoutEdition('UEFA EURO 2024™')).toBe('uefa euro');
    expect(withoutEdition('Premier League 2024/25')).toBe('premier league');
    expect(withoutEdition('Premier League 2024 / 2025')).toBe('premier league');
    expect(withoutEdition('Saison 2024-2025 Ligue 1')).toBe('ligue 1');
    expect(withoutEdition("Euro '24")).toBe('euro');
    expect(withoutEdition('World Cup 26')).toBe('world cup');
    expect(withoutEdition('Ligue 1')).toBe('ligue 1');
    expect(withoutEdition('2. Bundesliga')).toBe('2 bundesliga');
    expect(withoutEdition('Top 14')).toBe('top');
    expect(withoutEdition('Serie A')).toBe('serie a');
  });

  it('a name listed whole wins over its edition-less form ("Top 14" listed is found as written)', () => {
    const quota = new AdaptivePanicQuota({ leagues: { low_stakes: ['Top 14'] } });
    expect(quota.classify({ league: 'Top 14' })).toBe(LOW);
  });

  it('tries the fewest removals first, and keeps at least one word', () => {
    const affixes = [['sky', 'bet'], ['efl'], ['uefa']];
    expect([...nameVariants('EFL Sky Bet Championship', affixes)]).toEqual(['efl sky bet championship', 'sky bet championship', 'championship']);
    expect([...nameVariants('UEFA', affixes)]).toEqual(['uefa']);
    expect([...nameVariants('Sky Bet', affixes)]).toEqual(['sky bet']);
  });

  it('removes at most three affixes per end and gives a hostile name at most 17 variants', () => {
    const affixes = [['uefa']];
    const hostile = `${'UEFA '.repeat(40)}Ligue 1${' UEFA'.repeat(40)}`.slice(0, 200);
    expect([...nameVariants(hostile, affixes)].length).toBeLessThanOrEqual(17);
    expect([...nameVariants(`${'UEFA '.repeat(10_000)}Ligue 1`, affixes)]).toHaveLength(1); // too long for variants: looked up as written
  });

  it('a name of 100,000 affixes and years classifies (medium) without stalling', () => {
    const hostile = 'UEFA 2024/25 '.repeat(8_000);
    expect(MatchImportance.classify({ league: hostile, matchType: hostile })).toBe(MEDIUM);
  });
});

describe('ignored affixes are configurable', () => {
  it('a custom list replaces the default one', () => {
    const quota = new AdaptivePanicQuota({ ignoredAffixes: ['Unibet'] });
    expect(quota.classify({ league: 'Unibet Ligue 2' })).toBe(LOW);
    expect(quota.classify({ league: 'Ligue 2 BKT' })).toBe(MEDIUM); // BKT is no longer ignored: an unknown name
  });

  it('an empty list turns affix removal off; editions are still ignored', () => {
    const quota = new AdaptivePanicQuota({ ignoredAffixes: [] });
    expect(quota.classify({ league: 'Barclays Premier League' })).toBe(MEDIUM);
    expect(quota.classify({ league: 'Sky Bet Championship' })).toBe(MEDIUM);
    expect(quota.classify({ league: 'Ligue 2 2024/25' })).toBe(LOW);
  });

  it.each([
    ['an affix without a letter or digit', { ignoredAffixes: ['!!!'] }, 'policy.ignoredAffixes.0'],
    ['an affix that is not a string', { ignoredAffixes: [42] }, 'policy.ignoredAffixes.0'],
    ['a list that is not an array', { ignoredAffixes: 'UEFA' }, 'policy.ignoredAffixes'],
  ])('rejects %s at construction, naming %s', (_label, options, field) => {
    const caught = thrown(() => new AdaptivePanicQuota(options as never));
    expect(caught).toBeInstanceOf(InvalidConfigError);
    expect((caught as InvalidConfigError).field).toBe(field);
  });
});
