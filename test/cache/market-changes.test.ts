import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidConfigError, MarketChangePublisher, parseMarketChange, RedisCacheStore, VixCircuitBreaker, VixEngine, type VixPriceChangeEvent } from '../../src/index.js';
import { RedisServer } from '../support/redis-server.js';
import { freePort } from '../support/free-port.js';
import { startWorkers, stopWorkers, type Worker } from '../support/spawn-workers.js';
import { postJson } from '../server/http-helpers.js';
import { serve, type ServeProcess } from '../server/serve-process.js';

describe('the VIX engine reports price moves (onPriceChange)', () => {
  it('once per accepted tick whose price differs from its market’s previous one; not for a first tick, a repeat or a rejected tick', () => {
    const engine = new VixEngine();
    const changes: VixPriceChangeEvent[] = [];
    engine.onPriceChange((e) => changes.push(e));
    const t0 = Date.UTC(2026, 5, 14, 20, 0, 0);
    engine.ingestBatch([
      { market: 'psg-om:1x2:home', price: 1.85, ts: t0, scope: 'ligue-1' },
      { market: 'psg-om:1x2:home', price: 1.85, ts: t0 + 1000, scope: 'ligue-1' },
      { market: 'psg-om:1x2:home', price: 1.9, ts: t0 + 2000, scope: 'ligue-1' },
      { market: 'psg-om:1x2:home', price: 2.1, ts: t0 + 1500 }, // out of order: rejected
      { market: 'psg-om:1x2:home', price: 0.5, ts: t0 + 3000 }, // bad price: rejected
      { market: 'lens-lille:1x2:draw', price: 3.4, ts: t0 + 3000 },
    ]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ market: 'psg-om:1x2:home', scope: 'ligue-1', ts: t0 + 2000, price: 1.9 });
    expect(changes[0]!.previousPrice).toBeCloseTo(1.85, 12);
  });
});

describe('MarketChangePublisher on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  let subscriber: Redis;
  const received: string[][] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    subscriber = server.client();
    await subscriber.subscribe('vix-ttl:market-changes');
    subscriber.on('message', (_channel, text: string) => received.push(parseMarketChange(text)?.markets ?? ['<malformed>']));
  });
  afterAll(async () => server.stop());

  async function settle(publisher: MarketChangePublisher): Promise<void> {
    await publisher.flush();
    await redis.ping();
    await new Promise((r) => setTimeout(r, 20));
  }

  it('coalesces a burst: a market that changes 1,000 times in one window is sent once', async () => {
    received.length = 0;
    const publisher = new MarketChangePublisher(redis, { windowMs: 60_000 });
    for (let i = 0; i < 1000; i += 1) publisher.changed('psg-om:1x2:home');
    publisher.changed('lens-lille:1x2:draw');
    await settle(publisher);
    expect(received).toEqual([['psg-om:1x2:home', 'lens-lille:1x2:draw']]);
    expect(publisher.stats()).toMatchObject({ changes: 1001, marketsSent: 2, messages: 1 });
    await publisher.close();
  });

  it('caps messages per second and each message’s size; what waits is sent later, nothing is lost below maxPending', async () => {
    received.length = 0;
    const publisher = new MarketChangePublisher(redis, { windowMs: 60_000, maxMessagesPerSecond: 2 });
    const markets = Array.from({ length: 5000 }, (_, i) => `match-${i}:1x2:${'x'.repeat(100)}`);
    for (const m of markets) publisher.changed(m);
    await settle(publisher);
    expect(received.length).toBeLessThanOrEqual(2); // the rate bound, whatever the backlog
    expect(received.every((batch) => JSON.stringify(batch).length < 65_536)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    await settle(publisher);
    expect(received.length).toBeLessThanOrEqual(5);
    await publisher.close(); // one last message of what is left
    await redis.ping();
    await new Promise((r) => setTimeout(r, 50));
    const sent = received.flat();
    expect(new Set(sent).size).toBe(sent.length); // each market once
    expect(sent.every((m) => markets.includes(m))).toBe(true);
    expect(publisher.stats()).toMatchObject({ marketsSent: sent.length, dropped: 0, errors: 0 });
  });

  it('bounds what waits (maxPending) and drops market ids that cannot be tags, counting both', async () => {
    const publisher = new MarketChangePublisher(redis, { windowMs: 60_000, maxPending: 3 });
    for (const m of ['a', 'b', 'c', 'd', '', 'x{y}', 'line\nbreak', 'z'.repeat(201)]) publisher.changed(m);
    expect(publisher.pending).toBe(3);
    expect(publisher.stats().dropped).toBe(5);
    await publisher.close();
  });

  it('rejects bad options naming the field', () => {
    expect(() => new MarketChangePublisher(redis, { maxMessagesPerSecond: 0 })).toThrow(InvalidConfigError);
    expect(() => new MarketChangePublisher(redis, { channel: 'has space' })).toThrow(/channel/);
    expect(() => new MarketChangePublisher({} as never)).toThrow(InvalidConfigError);
  });
});

describe('end to end: feed → POST /v1/ticks → engine → bus → every process’s copies and the Redis entries', () => {
  let server: RedisServer;
  let redis: Redis;
  let workers: Worker[];
  let service: ServeProcess;
  let base: string;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    workers = await startWorkers('l1-worker.ts', 2, [server.url, '100']);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = serve(['--redis', server.url, '--port', String(port), '--publish-market-changes'], { VIX_TTL_API_TOKEN: undefined });
    await service.waitFor('VIX_TTL_LISTENING', 30_000);
  }, 60_000);

  afterAll(async () => {
    stopWorkers(workers);
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await server.stop();
  });

  it('a price move of market M drops the entries tagged market:M on every process and in Redis; other entries stay', async () => {
    const until = Date.now() + 300;
    for (const w of workers) w.send({ cmd: 'run', until, key: 'odds:psg-om', tags: ['market:psg-om:1x2:home'] });
    await Promise.all(workers.map((w) => w.next()));
    for (const w of workers) w.send({ cmd: 'run', until: Date.now() + 100, key: 'odds:lens-lille', tags: ['market:lens-lille:1x2:draw'] });
    await Promise.all(workers.map((w) => w.next()));
    for (const w of workers) w.send({ cmd: 'arm' });
    await Promise.all(workers.map((w) => w.next()));

    const now = Date.now();
    const ticks = [
      { market: 'psg-om:1x2:home', price: 1.85, ts: now - 2000, scope: 'ligue-1' },
      { market: 'psg-om:1x2:home', price: 1.95, ts: now - 1000, scope: 'ligue-1' },
    ];
    expect((await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks }))).status).toBe(200);
    const told = await Promise.all(workers.map((w) => w.next()));
    expect(told.every((t) => t.source === 'market' && t.dropped === 1)).toBe(true);

    let raw: string | null = null;
    for (let i = 0; i < 200 && !/^\d+!$/.test(raw ?? ''); i += 1) {
      raw = await redis.get('vix-ttl:cache:odds:psg-om');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(raw).toMatch(/^\d+!$/); // tombstoned: removed, and no load begun before may write it back
    expect(await redis.get('vix-ttl:cache:odds:lens-lille')).toMatch(/^\d+~/); // another market's entry is untouched
  }, 60_000);
});

describe('MarketChangePublisher: no burst past the rate, no change lost past maxPending', () => {
  let server: RedisServer;
  let redis: Redis;
  let subscriber: Redis;
  const received: Array<{ at: number; markets: string[]; all: boolean }> = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    subscriber = server.client();
    await subscriber.subscribe('vix-ttl:market-changes');
    subscriber.on('message', (_channel, text: string) => {
      const change = parseMarketChange(text);
      received.push({ at: performance.now(), markets: change?.markets ?? [], all: change?.all === true });
    });
  });
  afterAll(async () => server.stop());

  it('a fresh publisher sends at most the rate plus one window’s share in its first second (the bucket does not start full)', async () => {
    received.length = 0;
    const publisher = new MarketChangePublisher(redis, { windowMs: 100, maxMessagesPerSecond: 10 });
    const started = performance.now();
    for (let i = 0; i < 30_000; i += 1) publisher.changed(`m-${i}`); // 30 messages of 1,000 markets
    await new Promise((r) => setTimeout(r, 1500));
    const firstSecond = received.filter((m) => m.at - started < 1000).length;
    expect(firstSecond).toBeGreaterThan(0);
    expect(firstSecond).toBeLessThanOrEqual(10 + 1); // the old bucket, full at start, sent ~20
    await publisher.close();
  });

  it('past maxPending the overflow is sent as “every market changed”, and a cache voids every market-tagged entry written before', async () => {
    received.length = 0;
    const cache = new AdaptiveCache({ breaker: new VixCircuitBreaker({ clock: null }), store: new RedisCacheStore(server.client()), invalidateOn: { marketChanges: true }, timeoutMs: 1000 });
    expect(await cache.ready()).toBe(true);
    const input = { baseTtl: 60, vixStatus: 'calm', tags: ['market:z'] } as const;
    await cache.getOrLoad('odds:z', () => 1, input);
    const publisher = new MarketChangePublisher(redis, { windowMs: 60_000, maxPending: 2 });
    for (const m of ['a', 'b', 'z']) publisher.changed(m); // z finds the set full
    expect(publisher.stats()).toMatchObject({ overflows: 1 });
    await publisher.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(received.some((m) => m.all)).toBe(true);
    expect(publisher.stats()).toMatchObject({ allSent: 1 });
    expect(await cache.getOrLoadWithMeta('odds:z', () => 2, input)).toMatchObject({ status: 'miss', value: 2 });
    expect(cache.stats().marketOverflows).toBe(1);
    await publisher.close();
    await cache.close();
  });
});
