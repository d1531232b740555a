import { normalizeName } from './normalize-name.js';

/** Trademark signs, which NFKD would turn into letters ("2024™" → "2024TM"). */
const MARKS = /[™®©℠]/gu;
/** A season: 2024/25, 2024-2025, 2024–25, 2024.25 (optionally "season 2024/25", "saison 2024-2025"). */
const SEASON = /(?:(?<![\p{L}\p{N}])(?:season|saison|temporada|stagione)\s+)?(?<!\p{N})(?:19|20)\d{2}\s*[-/–—_.]\s*(?:(?:19|20)\d{2}|\d{2})(?![\p{L}\p{N}])/giu;
/** A short season: 24/25, 24-25. */
const SHORT_SEASON = /(?<![\p{L}\p{N}'’‘`])\d{2}\s*[-/–—]\s*\d{2}(?![\p{L}\p{N}])/gu;
/** An abbreviated year: '24, ’26. */
const SHORT_YEAR = /(?<![\p{L}\p{N}])['’‘`]\d{2}(?!\p{N})/gu;
/** A year, 1900–2099, alone or glued to letters ("EURO2024"). */
const YEAR = /(?<!\p{N})(?:19|20)\d{2}(?!\p{N})/gu;
/** Words that only introduce an edition, dropped once an edition was found. */
const EDITION_WORDS = /(?<![\p{L}\p{N}])(?:season|saison|temporada|stagione|edition)(?![\p{L}\p{N}])/giu;
/** Longest name given variants; a longer one is only looked up as written (no competition name is that long). */
export const MAX_VARIANT_NAME_LENGTH = 200;
/** Most affixes removed from each end ("EFL Sky Bet Championship" needs two), so the variants of one name stay few. */
const MAX_AFFIXES_PER_END = 3;
/**
 * Links left behind an organiser at the end: French "Coupe du monde de la FIFA", "Ligue des
 * champions de l'UEFA", Spanish "Copa Mundial de la FIFA", Portuguese "Liga dos Campeões da
 * UEFA", Italian "Coppa del Mondo della FIFA".
 */
const CONNECTORS: readonly (readonly string[])[] = [['de', 'la'], ['de', 'l'], ['du'], ['de'], ['da'], ['do'], ['del'], ['della'], ['dell'], ['di']];

/**
 * The edition dropped from a name, folded: years, seasons and short years are
 * removed, and a trailing two-digit number after a word ("World Cup 26") is read as
 * a short year. Returns the folded name unchanged when it carries no edition.
 */
export function withoutEdition(name: string): string {
  const cleaned = name.replace(MARKS, ' ').normalize('NFKD').replace(/\p{M}/gu, '');
  const stripped = cleaned.replace(SEASON, ' ').replace(SHORT_SEASON, ' ').replace(SHORT_YEAR, ' ').replace(YEAR, ' ');
  const folded = normalizeName(stripped === cleaned ? cleaned : stripped.replace(EDITION_WORDS, ' '));
  const shortYear = /^(.*\p{L}[^ ]*) \d{2}$/u.exec(folded);
  return shortYear ? shortYear[1]! : folded;
}

/**
 * Folded names to look up for `name`, most literal first: the name as written, the
 * name without its edition (year, season), then that name with sponsor and
 * organiser affixes removed from either end — fewest removed first, so a listed
 * "CAF Champions League" is found before "Champions League". `affixes` are folded
 * token lists, longest first; at least one word of the name always remains, and at
 * most three affixes go from each end, so a name yields at most 17 variants.
 */
export function* nameVariants(name: string, affixes: readonly (readonly string[])[]): Generator<string> {
  const whole = normalizeName(name);
  if (whole) yield whole;
  if (name.length > MAX_VARIANT_NAME_LENGTH) return;
  const bare = /\p{N}/u.test(name) ? withoutEdition(name) : whole;
  if (!bare) return;
  if (bare !== whole) yield bare;
  const tokens = bare.split(' ');
  const starts = prefixCuts(tokens, affixes);
  const ends = suffixCuts(tokens, affixes);
  for (let removed = 1; removed < starts.length + ends.length - 1; removed += 1) {
    for (let i = Math.min(removed, starts.length - 1); i >= 0 && removed - i < ends.length; i -= 1) {
      const start = starts[i]!;
      const end = ends[removed - i]!;
      if (start < end) yield tokens.slice(start, end).join(' ');
    }
  }
}

/** Where the name may start once 0, 1, 2… affixes are removed from its front. */
function prefixCuts(tokens: readonly string[], affixes: readonly (readonly string[])[]): number[] {
  const cuts = [0];
  while (cuts.length <= MAX_AFFIXES_PER_END) {
    const at = cuts[cuts.length - 1]!;
    const affix = affixes.find((a) => tokens.length - at > a.length && a.every((word, k) => tokens[at + k] === word));
    if (!affix) break;
    cuts.push(at + affix.length);
  }
  return cuts;
}

/** Where the name may end once 0, 1, 2… affixes (and a French link before each) are removed from its back. */
function suffixCuts(tokens: readonly string[], affixes: readonly (readonly string[])[]): number[] {
  const cuts = [tokens.length];
  while (cuts.length <= MAX_AFFIXES_PER_END) {
    const at = cuts[cuts.length - 1]!;
    const affix = affixes.find((a) => at > a.length && a.every((word, k) => tokens[at - a.length + k] === word));
    if (!affix) break;
    let end = at - affix.length;
    const link = CONNECTORS.find((c) => end > c.length && c.every((word, k) => tokens[end - c.length + k] === word));
    if (link) end -= link.length;
    cuts.push(end);
  }
  return cuts;
}
