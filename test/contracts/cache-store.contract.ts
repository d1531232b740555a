import { beforeEach, describe, expect, it } from 'vitest';
import { TOMBSTONE_MS, tagIndexKey, type CacheStore } from '../../src/index.js';

const tagKey = (tag: string) => tagIndexKey('ns:', tag);

/** What the contract needs of an implementation: a store, and a way to move its time. */
export interface CacheStoreHarness {
  /** The store under test (the same one until `reset`). */
  store(): CacheStore;
  /** Moves the store's time forward by `ms`. */
  advance(ms: number): Promise<void>;
  /** Empties the store; called before each test. */
  reset(): Promise<void>;
}

/** Real time a store whose clock cannot be moved (Redis) may add to a measured age on a loaded machine. */
const SLACK_MS = 30_000;

/**
 * The behaviour every {@link CacheStore} shares: entries stamped and aged on the
 * store's own clock, expiry, delete, and locks held by one token at a time. An
 * implementation's test file gets it all by one line:
 * `cacheStoreContract('MyStore', harness)`.
 */
export function cacheStoreContract(name: string, harness: CacheStoreHarness): void {
  const h = harness;
  describe(`${name} keeps the CacheStore contract`, () => {
    beforeEach(async () => {
      await h.reset();
    });

    describe('entries', () => {
      it('an absent key reads as no entry, with the store’s time', async () => {
        const read = await h.store().read('absent');
        expect(read).toMatchObject({ entry: null, corrupt: null });
        expect(Number.isFinite(read.nowMs)).toBe(true);
      });

      it('a written payload reads back unchanged, stamped no later than the read', async () => {
        const store = h.store();
        for (const payload of ['{"odds":2.5}', '', 'with: colons: 12:34', 'ünïcødé ⚽', 'x'.repeat(10_000)]) {
          await store.write('k', payload, 60_000);
          const read = await store.read('k');
          expect(read.entry?.payload).toBe(payload);
          expect(read.entry!.writtenAtMs).toBeLessThanOrEqual(read.nowMs);
          expect(read.corrupt).toBeNull();
        }
      });

      it('an entry’s age is measured on the store’s clock', async () => {
        const store = h.store();
        await store.write('k', 'v', 3_600_000);
        await h.advance(20_000);
        const read = await store.read('k');
        expect(read.nowMs - read.entry!.writtenAtMs).toBeGreaterThanOrEqual(20_000);
        expect(read.nowMs - read.entry!.writtenAtMs).toBeLessThan(20_000 + SLACK_MS);
      });

      it('a write replaces the entry and its stamp', async () => {
        const store = h.store();
        await store.write('k', 'old', 3_600_000);
        await h.advance(60_000);
        await store.write('k', 'new', 3_600_000);
        const read = await store.read('k');
        expect(read.entry?.payload).toBe('new');
        expect(read.nowMs - read.entry!.writtenAtMs).toBeLessThan(SLACK_MS);
      });

      it('keys are independent', async () => {
        const store = h.store();
        await store.write('a', '1', 60_000);
        expect((await store.read('b')).entry).toBeNull();
        expect((await store.read('a')).entry?.payload).toBe('1');
      });
    });

    describe('expiry', () => {
      it('an entry lives until its expiry and is gone after it', async () => {
        const store = h.store();
        await store.write('k', 'v', 60_000);
        await h.advance(59_000);
        expect((await store.read('k')).entry?.payload).toBe('v');
        await h.advance(1_001);
        expect((await store.read('k')).entry).toBeNull();
      });

      it.each([0, -1, Number.NaN])('refuses an expiry of %s ms (a store never keeps an entry forever)', async (expiryMs) => {
        await expect(h.store().write('k', 'v', expiryMs)).rejects.toThrow(/expiry/i);
        expect((await h.store().read('k')).entry).toBeNull();
      });
    });

    describe('delete', () => {
      it('removes an entry and tells whether there was one', async () => {
        const store = h.store();
        await store.write('k', 'v', 60_000);
        expect(await store.delete('k')).toBe(true);
        expect((await store.read('k')).entry).toBeNull();
        expect((await store.read('k')).corrupt).toBeNull(); // a tombstone is no entry, and nothing corrupt
        expect(await store.delete('k')).toBe(false);
      });

      it('a load whose read came before a delete cannot write its older value back; one read after it can', async () => {
        const store = h.store();
        await store.write('k', 'old', 60_000);
        const before = (await store.read('k')).nowMs; // a read, then the loader runs…
        await h.advance(1);
        await store.delete('k'); // …while the key is invalidated
        expect(await store.write('k', 'loaded before the delete', 60_000, { loadedAfterMs: before })).toEqual({ written: false, reason: 'invalidated' });
        expect((await store.read('k')).entry).toBeNull();
        await h.advance(1);
        const after = (await store.read('k')).nowMs;
        await h.advance(1);
        const written = await store.write('k', 'loaded after', 60_000, { loadedAfterMs: after });
        expect(written).toMatchObject({ written: true });
        expect((await store.read('k')).entry?.payload).toBe('loaded after');
      });

      it('a write without a read to place it against is refused while a delete is remembered, and accepted once it is forgotten', async () => {
        const store = h.store();
        await store.delete('k');
        expect(await store.write('k', 'v', 60_000)).toEqual({ written: false, reason: 'invalidated' });
        await h.advance(TOMBSTONE_MS + 1);
        expect(await store.write('k', 'v', 60_000)).toMatchObject({ written: true });
      });

      it('a load older than the tombstones’ life is refused (too_old): it cannot be checked against invalidations', async () => {
        const store = h.store();
        const longAgo = (await store.read('k')).nowMs - TOMBSTONE_MS - 1;
        expect(await store.write('k', 'v', 60_000, { loadedAfterMs: longAgo })).toEqual({ written: false, reason: 'too_old' });
        expect((await store.read('k')).entry).toBeNull();
      });
    });

    describe('tags', () => {
      it('an entry keeps its tags; invalidating one tag removes exactly the entries carrying it', async () => {
        const store = h.store();
        const w = (key: string, tags: string[]) => store.write(key, key, 60_000, { tags, tagKeys: tags.map(tagKey) });
        await w('psg-om:1x2', ['match:psg-om', 'league:ligue-1']);
        await w('psg-om:score', ['match:psg-om']);
        await w('lens-lille:1x2', ['match:lens-lille', 'league:ligue-1']);
        await w('untagged', []);
        expect((await store.read('psg-om:1x2')).entry?.tags).toEqual(['match:psg-om', 'league:ligue-1']);
        expect(await store.invalidateTags!([tagKey('match:psg-om')], 'id-1')).toBe(2);
        expect((await store.read('psg-om:1x2')).entry).toBeNull();
        expect((await store.read('psg-om:score')).entry).toBeNull();
        expect((await store.read('lens-lille:1x2')).entry?.payload).toBe('lens-lille:1x2');
        expect((await store.read('untagged')).entry?.payload).toBe('untagged');
        expect(await store.invalidateTags!([tagKey('league:ligue-1')], 'id-2')).toBeGreaterThanOrEqual(1);
        expect((await store.read('lens-lille:1x2')).entry).toBeNull();
      });

      it('tags with colons, dots, spaces and accents round-trip', async () => {
        const store = h.store();
        const tags = ['market:psg-om:1x2:home', 'league:Ligue 1 Uber Eats', 'équipe:Paris S.G.'];
        await store.write('k', 'with: colons', 60_000, { tags, tagKeys: tags.map(tagKey) });
        expect((await store.read('k')).entry).toMatchObject({ payload: 'with: colons', tags });
      });

      it('a tagged load whose read came before the tag’s invalidation is not written, even when indexed after it', async () => {
        const store = h.store();
        const before = (await store.read('k')).nowMs;
        await h.advance(1);
        await store.invalidateTags!([tagKey('market:m1')], 'id-3'); // the set held nothing yet: only the tag's tombstone stops the write
        const written = await store.write('k', 'pre-change price', 60_000, { tags: ['market:m1'], tagKeys: [tagKey('market:m1')], loadedAfterMs: before });
        expect(written).toEqual({ written: false, reason: 'invalidated' });
        expect((await store.read('k')).entry).toBeNull();
      });

      it('the same invalidation id is acted on once (several processes handling one bus message)', async () => {
        const store = h.store();
        await store.write('a', 'a', 60_000, { tags: ['t'], tagKeys: [tagKey('t')] });
        expect(await store.invalidateTags!([tagKey('t')], 'same')).toBe(1);
        await h.advance(1);
        const after = (await store.read('a')).nowMs;
        await h.advance(1);
        await store.write('a', 'a2', 60_000, { tags: ['t'], tagKeys: [tagKey('t')], loadedAfterMs: after });
        expect(await store.invalidateTags!([tagKey('t')], 'same')).toBe(-1); // done already, by whoever took it first
        expect((await store.read('a')).entry?.payload).toBe('a2');
      });
    });

    describe('locks', () => {
      it('one holder at a time; released by its own token only', async () => {
        const store = h.store();
        expect(await store.tryLock('l', 'a', 60_000)).toBe(true);
        expect(await store.tryLock('l', 'b', 60_000)).toBe(false);
        await store.unlock('l', 'b');
        expect(await store.tryLock('l', 'b', 60_000)).toBe(false);
        await store.unlock('l', 'a');
        expect(await store.tryLock('l', 'b', 60_000)).toBe(true);
      });

      it('a lock expires on its own after its ttl, so a holder that died does not block the key', async () => {
        const store = h.store();
        expect(await store.tryLock('l', 'a', 5_000)).toBe(true);
        await h.advance(4_000);
        expect(await store.tryLock('l', 'b', 5_000)).toBe(false);
        await h.advance(1_001);
        expect(await store.tryLock('l', 'b', 5_000)).toBe(true);
        await store.unlock('l', 'a'); // the old holder's late release does not free the new holder's lock
        expect(await store.tryLock('l', 'c', 5_000)).toBe(false);
      });

      it('locks of different keys are independent, and a lock is not an entry', async () => {
        const store = h.store();
        expect(await store.tryLock('l1', 'a', 60_000)).toBe(true);
        expect(await store.tryLock('l2', 'a', 60_000)).toBe(true);
        expect((await store.read('k')).entry).toBeNull();
      });
    });
  });
}
