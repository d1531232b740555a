/**
 * Folds a league or match-type name for matching: accents, case, punctuation and
 * trademark signs are ignored, so "Ligue des Champions", "ligue-des-champions" and
 * "LIGUE DES CHAMPIONS™" are the same name; `ß` is `ss` (its capital form), so
 * "Fußball" and "FUSSBALL" are too.
 */
export function normalizeName(name: string): string {
  return name
    .replace(/[™®©℠]/gu, ' ')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ß/gu, 'ss')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
