/** Every importance, most important first; every list of importances is derived from this one. */
export const IMPORTANCES = Object.freeze(['high_stakes', 'medium_stakes', 'low_stakes'] as const);

/** How much a match matters; it sets how long a panic may keep the cache off. */
export type Importance = (typeof IMPORTANCES)[number];

/** The importance of a match whose context says nothing we recognise. */
export const DEFAULT_IMPORTANCE: Importance = 'medium_stakes';

/** Whether a value is one of the {@link IMPORTANCES}. */
export function isImportance(value: unknown): value is Importance {
  return typeof value === 'string' && (IMPORTANCES as readonly string[]).includes(value);
}
