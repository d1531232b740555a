import { LONE_SURROGATE } from './cache-key.js';
import { InvalidInputError } from '../core/errors.js';

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f{}]/;

/** Most tags one entry carries. */
export const MAX_TAGS_PER_ENTRY = 16;

/**
 * Validates the tags of one `getOrLoad` call: at most {@link MAX_TAGS_PER_ENTRY}
 * non-empty strings of at most `maxLength` characters, without control characters
 * or braces (a tag is a Redis Cluster hash tag, `{tag}`, in its index's key).
 * Returns the tags without duplicates.
 * @throws InvalidInputError naming `tags`.
 */
export function validateTags(tags: unknown, maxLength: number, field = 'tags', maxCount = MAX_TAGS_PER_ENTRY): readonly string[] {
  if (!Array.isArray(tags) || tags.length > maxCount) {
    throw new InvalidInputError(field, `must be an array of at most ${maxCount} tags`, tags);
  }
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > maxLength || FORBIDDEN.test(tag) || LONE_SURROGATE.test(tag)) {
      throw new InvalidInputError(field, `must hold non-empty strings of at most ${maxLength} characters without control characters, braces or lone surrogates`, tag);
    }
  }
  return tags.length < 2 ? tags : [...new Set(tags as string[])];
}

/** Whether a string is an acceptable tag (see {@link validateTags}). */
export function isValidTag(tag: unknown, maxLength: number): tag is string {
  return typeof tag === 'string' && tag.length > 0 && tag.length <= maxLength && !FORBIDDEN.test(tag);
}

/**
 * The Redis key of a tag's index, `<namespace without its last ':'>.tag:{<tag>}`
 * (`vix-ttl:cache.tag:{market:psg-om}`): outside the entries' namespace, so no
 * caller key can collide with it, and the braces make the tag a hash tag, so on a
 * Cluster the index, its tombstone (`…:inv`) and its scratch copy (`…:x:<id>`)
 * share one slot while the entries themselves stay spread.
 */
export function tagIndexKey(namespace: string, tag: string): string {
  return `${namespace.slice(0, -1)}.tag:{${tag}}`;
}

/** The tag that change-aware invalidation gives a market's entries: `market:<market id>`. */
export function marketTag(market: string): string {
  return `market:${market}`;
}

/** Whether a tag is a market's (`market:<id>`), the tags the odds feed invalidates. */
export function isMarketTag(tag: string): boolean {
  return tag.startsWith('market:');
}
