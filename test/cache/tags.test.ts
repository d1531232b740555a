import { describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidInputError, MemoryCacheStore, MemoryPanicClock, VixCircuitBreaker, type CacheEvent } from '../../src/index.js';

const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;

function fixture() {
  let now = Date.UTC(2026, 5, 14, 20, 0, 0);
  const time = () => now;
  const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: time }), syncIntervalMs: 0, now: time });
  const store = new MemoryCacheStore({ now: time });
  const events: CacheEvent[] = [];
  const cache = new AdaptiveCache({ breaker, store, hooks: { onCacheEvent: (e) => events.push(e) } });
  return { cache, store, events, advance: (ms: number) => (now += ms) };
}

describe('tags', () => {
  it('invalidateTags drops exactly the entries carrying one of the tags; the others keep serving', async () => {
    const { cache } = fixture();
    await cache.getOrLoad('odds:psg-om', async () => 'psg-om', { ...CALM, tags: ['match:psg-om', 'league:ligue-1'] });
    await cache.getOrLoad('stats:psg-om', async () => 'stats', { ...CALM, tags: ['match:psg-om'] });
    await cache.getOrLoad('odds:lens-lille', async () => 'lens-lille', { ...CALM, tags: ['match:lens-lille', 'league:ligue-1'] });
    expect(await cache.invalidateTags(['match:psg-om'])).toBe(2);
    expect((await cache.getOrLoadWithMeta('odds:psg-om', async () => 'psg-om 2', CALM)).status).toBe('miss');
    expect((await cache.getOrLoadWithMeta('stats:psg-om', async () => 'stats 2', CALM)).status).toBe('miss');
    expect((await cache.getOrLoadWithMeta('odds:lens-lille', async () => 'x', CALM)).status).toBe('hit');
    expect(cache.stats().invalidations).toBe(1);
  });

  it('a load under way when its tag is invalidated returns its value to its callers but does not store it', async () => {
    const { cache, events, advance } = fixture();
    let release!: (v: string) => void;
    const loading = cache.getOrLoadWithMeta('odds:m1', () => new Promise<string>((r) => (release = r)), { ...CALM, tags: ['market:m1'] });
    await new Promise((r) => setTimeout(r, 5));
    advance(1);
    await cache.invalidateTags(['market:m1']); // the price moved while the backend answered
    advance(1);
    release('pre-change price');
    expect(await loading).toMatchObject({ status: 'miss', value: 'pre-change price' });
    expect(events.some((e) => e.type === 'not_cached' && /invalidated/.test(e.reason))).toBe(true);
    expect((await cache.getOrLoadWithMeta('odds:m1', async () => 'post-change price', { ...CALM, tags: ['market:m1'] })).status).toBe('miss');
  });

  it('a delete during a load keeps that load from writing its older value back', async () => {
    const { cache, advance } = fixture();
    let release!: (v: string) => void;
    const loading = cache.getOrLoad('k', () => new Promise<string>((r) => (release = r)), CALM);
    await new Promise((r) => setTimeout(r, 5));
    advance(1);
    await cache.delete('k');
    release('old');
    await loading;
    advance(1);
    expect(await cache.getOrLoadWithMeta('k', async () => 'new', CALM)).toMatchObject({ status: 'miss', value: 'new' });
  });

  it.each([
    ['not an array', 'match:psg-om'],
    ['17 tags', Array.from({ length: 17 }, (_, i) => `t${i}`)],
    ['an empty tag', ['']],
    ['a tag with braces (a Cluster hash tag)', ['{x}']],
    ['a tag with a newline', ['a\nb']],
    ['a tag of 257 characters', ['x'.repeat(257)]],
    ['a number', [5]],
  ])('rejects %s with InvalidInputError naming tags, before any load', async (_label, tags) => {
    const { cache } = fixture();
    let calls = 0;
    const error = await cache.getOrLoad('k', async () => (calls += 1), { ...CALM, tags: tags as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('tags');
    expect(calls).toBe(0);
    if (!Array.isArray(tags) || tags.length <= 16) await expect(cache.invalidateTags(tags as never)).rejects.toThrow(InvalidInputError); // it takes up to 1,000 tags
  });
});

describe('an invalidation detaches the loads under way', () => {
  it('a caller arriving after invalidateTags does not share a load that began before it', async () => {
    const { cache, advance } = fixture();
    const first: Array<(v: string) => void> = [];
    const loader = () => new Promise<string>((r) => first.push(r));
    const before = cache.getOrLoad('odds:m1', loader, { ...CALM, tags: ['market:m1'] });
    await new Promise((r) => setTimeout(r, 5));
    advance(1);
    await cache.invalidateTags(['market:m1']);
    advance(1);
    const after = cache.getOrLoad('odds:m1', loader, { ...CALM, tags: ['market:m1'] });
    await new Promise((r) => setTimeout(r, 5));
    expect(first).toHaveLength(2); // a second load, begun after the change
    first[0]!('pre-change');
    first[1]!('post-change');
    expect(await before).toBe('pre-change');
    expect(await after).toBe('post-change');
    expect(await cache.getOrLoad('odds:m1', async () => 'unused', CALM)).toBe('post-change');
  });

  it('delete does the same for its key', async () => {
    const { cache, advance } = fixture();
    const pending: Array<(v: string) => void> = [];
    const loader = () => new Promise<string>((r) => pending.push(r));
    void cache.getOrLoad('k', loader, CALM);
    await new Promise((r) => setTimeout(r, 5));
    advance(1);
    await cache.delete('k');
    void cache.getOrLoad('k', loader, CALM);
    await new Promise((r) => setTimeout(r, 5));
    expect(pending).toHaveLength(2);
    for (const p of pending) p('x');
  });
});
