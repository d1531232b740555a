/** How much a match matters; it sets how long a panic may keep the cache off. */
export type Importance = 'high_stakes' | 'medium_stakes' | 'low_stakes';

/** Every importance, most important first. */
export const IMPORTANCES: readonly Importance[] = ['high_stakes', 'medium_stakes', 'low_stakes'];

/** The importance of a match whose context says nothing we recognise. */
export const DEFAULT_IMPORTANCE: Importance = 'medium_stakes';

/** Whether a value is one of the three importances. */
export function isImportance(value: unknown): value is Importance {
  return value === 'high_stakes' || value === 'medium_stakes' || value === 'low_stakes';
}
