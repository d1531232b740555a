import { describe, expect, it } from 'vitest';
import { InvalidConfigError, MemoryCacheStore } from '../../src/index.js';
import { cacheStoreContract } from '../contracts/cache-store.contract.js';

let now = 1_000_000;
let store = new MemoryCacheStore({ now: () => now });
cacheStoreContract('MemoryCacheStore', {
  store: () => store,
  advance: async (ms) => void (now += ms),
  reset: async () => void (store = new MemoryCacheStore({ now: () => now })),
});

describe('MemoryCacheStore', () => {
  it('is bounded: the least recently used entries go first', async () => {
    const store = new MemoryCacheStore({ max: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await store.write(key, key, 60_000);
    expect(store.size).toBe(3);
    expect((await store.read('a')).entry).toBeNull();
    expect((await store.read('d')).entry?.payload).toBe('d');
  });

  it('with maxSize, keeps the payloads under that many characters in all, and does not keep a larger one', async () => {
    const store = new MemoryCacheStore({ maxSize: 10 });
    await store.write('a', '12345', 60_000);
    await store.write('b', '12345', 60_000);
    await store.write('c', '123', 60_000);
    expect((await store.read('a')).entry).toBeNull(); // the least recently used made room
    expect((await store.read('c')).entry?.payload).toBe('123');
    await store.write('big', 'x'.repeat(11), 60_000);
    expect((await store.read('big')).entry).toBeNull();
  });

  it('ages entries exactly on its injected clock', async () => {
    let t = 1_000_000;
    const store = new MemoryCacheStore({ now: () => t });
    await store.write('k', 'v', 5_000);
    t += 4_999;
    expect((await store.read("k")).entry).toEqual({ payload: "v", writtenAtMs: 1_000_000, tags: [] });
    t += 1;
    expect((await store.read('k')).entry).toBeNull();
  });

  it('rejects bad options and a time source that returns garbage', async () => {
    expect(() => new MemoryCacheStore({ max: 0 })).toThrow(InvalidConfigError);
    expect(() => new MemoryCacheStore({ now: 5 as never })).toThrow(/MemoryCacheStore\.now/);
    await expect(new MemoryCacheStore({ now: () => Number.NaN }).read('k')).rejects.toThrow(/now\(\)/);
  });
});
