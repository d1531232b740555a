import type { StoredEntry } from './cache-store.js';
import { MAX_TAGS_PER_ENTRY } from './cache-tags.js';

const HEAD = /^(\d{1,16})(?:~(\d{1,7})~)?/;
const TOMBSTONE = /^\d{1,16}!$/;
/**
 * A stamp further than this in the store's future is not trusted: the store stamps
 * entries with its own clock, so only a failover to a server whose clock is behind
 * (or a hand-written value) puts one there. Read as age 0 it would stay fresh for as
 * long as it is ahead, past any TTL (a 5-minute-old value served in a 5 s tier), so it
 * reads as no entry and the next load replaces it. One second covers the skew between
 * servers kept in sync by NTP; within it an entry is at most that much younger.
 */
export const MAX_FUTURE_MS = 1_000;

/** What a stored value is: an entry, a tombstone (a deleted key), or something no store of this package wrote. */
export type ParsedValue = { kind: 'entry'; entry: StoredEntry } | { kind: 'tombstone' } | { kind: 'corrupt' };

const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * The tags part of a stored value: `''` without tags, else `~<length>~<tags joined by \n>`
 * (tags hold no control character, so `\n` cannot occur inside one). The whole value is
 * `<writtenAtMs><tags part>:<payload>`; a tombstone is `<ms>!`.
 */
export function tagsSegment(tags: readonly string[] | undefined): string {
  if (!tags || tags.length === 0) return '';
  const text = tags.join('\n');
  return `~${text.length}~${text}`;
}

/** Splits a stored value into stamp, tags and payload; `nowMs` (the store's clock) rejects stamps from the far future. */
export function parseStoredValue(raw: string, nowMs: number): ParsedValue {
  if (TOMBSTONE.test(raw)) return { kind: 'tombstone' };
  const head = HEAD.exec(raw);
  if (!head) return { kind: 'corrupt' };
  const writtenAtMs = Number(head[1]);
  if (writtenAtMs > nowMs + MAX_FUTURE_MS) return { kind: 'corrupt' };
  let at = head[0].length;
  let tags = NO_TAGS;
  if (head[2] !== undefined) {
    const length = Number(head[2]);
    if (at + length > raw.length) return { kind: 'corrupt' };
    tags = raw.slice(at, at + length).split('\n');
    if (tags.length > MAX_TAGS_PER_ENTRY) return { kind: 'corrupt' }; // not written by this package: no unbounded index from a hostile value
    at += length;
  }
  if (raw.charCodeAt(at) !== 58 /* ':' */) return { kind: 'corrupt' };
  return { kind: 'entry', entry: { writtenAtMs, payload: raw.slice(at + 1), tags } };
}
