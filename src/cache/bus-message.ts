import { isValidTag } from './cache-tags.js';

/** Version of the messages this package publishes; a message of another version is ignored (counted), never guessed at. */
export const BUS_VERSION = 1;
/** Largest message read, in characters; a larger one is ignored. */
export const MAX_BUS_MESSAGE_CHARS = 65_536;
/** Most keys, tags or markets one message may name. */
export const MAX_BUS_ITEMS = 1000;
/** Longest market id (as the VIX engine takes them). */
export const MAX_MARKET_CHARS = 200;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * An invalidation on a cache's own channel (`<namespace minus ':'>.bus`): drop these
 * keys (caller keys, without the namespace) and every copy carrying one of these tags.
 * `src` is the sending cache instance, which ignores its own messages; `id` names
 * the invalidation, so the processes that act on a tag in the store do it once.
 */
export interface InvalidationMessage {
  v: typeof BUS_VERSION;
  src: string;
  id: string;
  keys: string[];
  tags: string[];
}

/**
 * "These markets' prices moved", on the market channel (default `vix-ttl:market-changes`),
 * published by the service's tick ingestion; each market M means tag `market:M`.
 */
export interface MarketChangeMessage {
  v: typeof BUS_VERSION;
  id: string;
  markets: string[];
  /** Every market may have changed (the publisher's backlog overflowed): caches void every `market:` entry written before. */
  all?: true | undefined;
}

/** Serializes an invalidation. */
export function encodeInvalidation(message: Omit<InvalidationMessage, 'v'>): string {
  return JSON.stringify({ v: BUS_VERSION, ...message });
}

/** Serializes a market change. */
export function encodeMarketChange(message: Omit<MarketChangeMessage, 'v'>): string {
  return JSON.stringify({ v: BUS_VERSION, ...message });
}

/** Reads an invalidation; null for anything else (wrong version or shape, too large, a bad key or tag). */
export function parseInvalidation(text: string, maxKeyLength: number, maxTagLength: number): InvalidationMessage | null {
  const body = parseObject(text);
  if (!body || !isId(body.src) || !isId(body.id)) return null;
  const keys = stringsOf(body.keys, (k) => k.length > 0 && k.length <= maxKeyLength && !CONTROL.test(k));
  const tags = stringsOf(body.tags, (t) => isValidTag(t, maxTagLength));
  if (!keys || !tags) return null;
  return { v: BUS_VERSION, src: body.src, id: body.id, keys, tags };
}

/** Reads a market change; null for anything else. */
export function parseMarketChange(text: string): MarketChangeMessage | null {
  const body = parseObject(text);
  if (!body || !isId(body.id)) return null;
  if (body.all === true) return { v: BUS_VERSION, id: body.id, markets: [], all: true };
  const markets = stringsOf(body.markets, (m) => m.length > 0 && m.length <= MAX_MARKET_CHARS && !CONTROL.test(m) && !/[{}]/.test(m));
  if (!markets || markets.length === 0) return null;
  return { v: BUS_VERSION, id: body.id, markets };
}

function parseObject(text: string): Record<string, unknown> | null {
  if (typeof text !== 'string' || text.length > MAX_BUS_MESSAGE_CHARS) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  return (body as Record<string, unknown>).v === BUS_VERSION ? (body as Record<string, unknown>) : null;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
}

function stringsOf(value: unknown, valid: (s: string) => boolean): string[] | null {
  if (!Array.isArray(value) || value.length > MAX_BUS_ITEMS) return null;
  for (const item of value) if (typeof item !== 'string' || !valid(item)) return null;
  return value as string[];
}
