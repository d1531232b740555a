import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptivePanicQuota, cacheControl, InvalidInputError, NO_REUSE, physicalExpiryMs, vixTtlCacheControl } from '../../src/index.js';

const policy = new AdaptivePanicQuota();

describe('cacheControl(decision): a Cache-Control value from a decision', () => {
  it.each([
    ['tier 1 (TTL 0)', policy.calculateTtlStrategy(60, 10, { league: 'Ligue 1' }), 'no-store'],
    ['fail-safe (TTL 0)', policy.failSafeDecision(60, { league: 'Ligue 1' }, 'store_timeout'), 'no-store'],
    ['tier 2 (5 s)', policy.calculateTtlStrategy(60, 45, { league: 'Ligue 1' }), 'public, max-age=5, stale-while-revalidate=5'],
    ['tier 4 (60 s)', policy.calculateTtlStrategy(60, 500, { league: 'Ligue 1' }), 'public, max-age=60, stale-while-revalidate=60'],
    ['no panic, base 300 s', policy.calculateTtlStrategy(300, null), 'public, max-age=300, stale-while-revalidate=300'],
    ['a TTL under one second', { ttl: 0.5 }, 'no-store'],
    ['a fractional TTL (rounded down)', { ttl: 7.9 }, 'public, max-age=7, stale-while-revalidate=7'],
  ])('%s → %s', (_label, decision, expected) => {
    expect(cacheControl(decision)).toBe(expected);
  });

  it.each([
    [{ staleWhileRevalidate: 0 }, 'public, max-age=30'],
    [{ staleWhileRevalidate: 10 }, 'public, max-age=30, stale-while-revalidate=10'],
    [{ staleWhileRevalidate: (ttl: number) => Math.min(ttl, 5) }, 'public, max-age=30, stale-while-revalidate=5'],
    [{ staleIfError: 120 }, 'public, max-age=30, stale-while-revalidate=30, stale-if-error=120'],
    [{ visibility: 'private' as const }, 'private, max-age=30, stale-while-revalidate=30'],
  ])('options %o → %s', (options, expected) => {
    expect(cacheControl({ ttl: 30 }, options)).toBe(expected);
  });

  it.each([
    ['a negative TTL', { ttl: -1 }, {}, 'decision.ttl'],
    ['NaN', { ttl: Number.NaN }, {}, 'decision.ttl'],
    ['a negative stale-while-revalidate', { ttl: 5 }, { staleWhileRevalidate: -1 }, 'staleWhileRevalidate'],
    ['an unknown visibility', { ttl: 5 }, { visibility: 'shared' }, 'visibility'],
  ])('rejects %s with InvalidInputError naming the field', (_label, decision, options, field) => {
    const error = (() => {
      try {
        cacheControl(decision, options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
  });

  it('property: never lets a cache reuse a TTL-0 decision, and never promises more than the TTL as max-age', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (ttl) => {
        const value = cacheControl({ ttl });
        if (ttl < 1) return value === NO_REUSE;
        const maxAge = Number(/max-age=(\d+)/.exec(value)?.[1]);
        return !value.includes('no-store') && maxAge <= ttl && maxAge > ttl - 1;
      }),
    );
  });

  it('property: over every tier of every importance, TTL 0 ⇔ no-store', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('high_stakes', 'medium_stakes', 'low_stakes'),
        fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: null }),
        fc.integer({ min: 0, max: 3600 }),
        (importance, minutes, baseTtl) => {
          const decision = policy.calculateTtlStrategy(baseTtl, minutes, { importance });
          return (decision.ttl === 0) === (cacheControl(decision) === NO_REUSE);
        },
      ),
    );
  });
});

describe('physicalExpiryMs: max(tier TTL, stale window), never 0 handed to a store', () => {
  it.each([
    [60, 0, 0, 60_000],
    [0, 30, 0, 30_000],
    [5, 30, 0, 30_000],
    [60, 30, 0, 60_000],
    [0, 0, 0, 0],
    [0, 0, 2000, 2000],
    [0.0004, 0, 0, 1],
  ])('ttl %s s, stale window %s s, floor %s ms → %s ms', (ttl, stale, floor, expected) => {
    expect(physicalExpiryMs(ttl, stale, floor)).toBe(expected);
  });

  it('property: the result is 0 (skip the write) only when nothing is worth keeping, and otherwise ≥ both bounds', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e5, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true }), (ttl, stale) => {
        const ms = physicalExpiryMs(ttl, stale);
        if (ttl === 0 && stale === 0) return ms === 0;
        return Number.isInteger(ms) && ms >= 1 && ms >= ttl * 1000 && ms >= stale * 1000;
      }),
    );
  });

  it('rejects negative or non-finite inputs, naming the field', () => {
    expect(() => physicalExpiryMs(-1, 0)).toThrow(/ttlSeconds/);
    expect(() => physicalExpiryMs(0, Number.POSITIVE_INFINITY)).toThrow(/staleWindowSeconds/);
  });
});

describe('the Fastify plugin, on a real socket', () => {
  const app = Fastify();
  let base = '';

  beforeAll(async () => {
    await app.register(vixTtlCacheControl, { staleIfError: 60 });
    app.get('/odds/:minutes', async (request, reply) => {
      const minutes = Number((request.params as { minutes: string }).minutes);
      const decision = policy.calculateTtlStrategy(60, minutes < 0 ? null : minutes, { league: 'Ligue 1' });
      return reply.cacheFor(decision).send({ ttl: decision.ttl });
    });
    app.get('/private', async (_request, reply) => reply.cacheFor({ ttl: 30 }, { visibility: 'private', staleIfError: 0 }).send('ok'));
    await app.ready();
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => app.close());

  it.each([
    ['-1', 'public, max-age=60, stale-while-revalidate=60, stale-if-error=60'],
    ['10', 'no-store'],
    ['45', 'public, max-age=5, stale-while-revalidate=5, stale-if-error=60'],
  ])('panic minute %s → Cache-Control: %s', async (minutes, expected) => {
    const response = await fetch(`${base}/odds/${minutes}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe(expected);
  });

  it('per-reply options override the registration defaults', async () => {
    const response = await fetch(`${base}/private`);
    expect(response.headers.get('cache-control')).toBe('private, max-age=30, stale-while-revalidate=30');
  });

  it('decorates replies app-wide (skip-override), including routes in child plugins', async () => {
    const child = Fastify();
    await child.register(vixTtlCacheControl);
    await child.register(async (scope) => {
      scope.get('/inner', async (_request, reply) => reply.cacheFor({ ttl: 0 }).send('x'));
    });
    const response = await child.inject({ method: 'GET', url: '/inner' });
    expect(response.headers['cache-control']).toBe('no-store');
    await child.close();
  });

  it('rejects bad defaults at registration', async () => {
    const bad = Fastify();
    await expect(bad.register(vixTtlCacheControl, { staleIfError: -5 }).ready()).rejects.toThrow(/staleIfError/);
    await bad.close();
  });
});
