// Hit-path cost of AdaptiveCache.getOrLoad against a raw ioredis GET and against
// BentoCache's getOrSet hit (Redis L2 only), on the same redis-server, in one run.
// Run: npx tsx bench/cache-hit.bench.ts → bench/results/cache-hit.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker } from '../src/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';

const CONCURRENCIES = [1, 32];
const RUN_MS = 2000;
const ROUNDS = 3; // designs alternate, so drift on a shared machine hits every design alike
const KEY = 'odds:psg-om';
const VALUE = { match: 'PSG-OM', home: 1.85, draw: 3.4, away: 4.2, updatedAt: '2026-06-14T20:00:00Z', markets: Array.from({ length: 8 }, (_, i) => ({ id: i, price: 1.5 + i / 10 })) };
const INPUT = { baseTtl: 3600, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;

interface Row {
  design: string;
  concurrency: number;
  opsPerSecond: number;
  meanLatencyUs: number;
}

/** `concurrency` callers each loop `op` for RUN_MS; throughput and mean latency per call. */
async function loop(design: string, concurrency: number, op: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < 200; i += 1) await op(); // warm-up: scripts loaded, JIT warm
  let ops = 0;
  const deadline = performance.now() + RUN_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await op();
        ops += 1;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return { design, concurrency, opsPerSecond: (ops / elapsedMs) * 1000, meanLatencyUs: ((elapsedMs * 1000) / ops) * concurrency };
}

const server = await RedisServer.start();
try {
  const raw = server.client();
  await raw.set(`raw:${KEY}`, JSON.stringify(VALUE));

  const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(server.client(), { timeoutMs: 1000 }), timeoutMs: 1000 }); // syncIntervalMs: default 100
  const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(server.client()), timeoutMs: 1000 });
  const miss = () => Promise.reject(new Error('the bench measures hits only'));
  await cache.getOrLoad(KEY, async () => VALUE, INPUT);

  const bento = new BentoCache({ default: 'redis', stores: { redis: bentostore().useL2Layer(redisDriver({ connection: server.client() })) } });
  await bento.getOrSet({ key: KEY, factory: async () => VALUE, ttl: '1h' });

  const designs: Array<[string, () => Promise<unknown>]> = [
    ['raw ioredis GET + JSON.parse (baseline)', async () => JSON.parse((await raw.get(`raw:${KEY}`))!)],
    ['vix-ttl AdaptiveCache.getOrLoad hit', () => cache.getOrLoad(KEY, miss, INPUT)],
    ['BentoCache getOrSet hit (Redis L2 only)', () => bento.getOrSet({ key: KEY, factory: miss, ttl: '1h' })],
  ];
  const samples: Row[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const concurrency of CONCURRENCIES) {
      for (const [name, op] of designs) samples.push(await loop(name, concurrency, op));
    }
  }
  const stats = cache.stats();
  if (stats.loads > 1 || stats.hits === 0) throw new Error(`the vix-ttl rows were not hits: ${JSON.stringify(stats)}`);

  // The best round of each design and concurrency: the least disturbed by the machine.
  const rows = designs.flatMap(([name]) =>
    CONCURRENCIES.map((c) => samples.filter((s) => s.design === name && s.concurrency === c).reduce((a, b) => (b.opsPerSecond > a.opsPerSecond ? b : a))),
  );
  rows.sort((a, b) => a.concurrency - b.concurrency);
  const baseline = (r: Row) => rows.find((b) => b.concurrency === r.concurrency)!;
  const ratio = (r: Row) => baseline(r).opsPerSecond / r.opsPerSecond;

  console.log(`\nHit path on one redis-server (loopback), ${RUN_MS / 1000} s per row, best of ${ROUNDS} alternating rounds; cost ratio = baseline ops/s ÷ design ops/s:\n`);
  printTable(
    ['callers', 'design', 'ops/s', 'mean latency µs', 'cost vs raw GET'],
    rows.map((r) => [r.concurrency, r.design, Math.round(r.opsPerSecond).toLocaleString('en-US'), r.meanLatencyUs.toFixed(1), `${ratio(r).toFixed(2)}×`]),
  );
  const vsBento = CONCURRENCIES.map((c) => {
    const ours = rows.find((r) => r.concurrency === c && r.design.startsWith('vix-ttl'))!;
    const theirs = rows.find((r) => r.concurrency === c && r.design.startsWith('BentoCache'))!;
    return { concurrency: c, vixTtlCostVsBentoCache: theirs.opsPerSecond / ours.opsPerSecond };
  });
  console.log(`\nvix-ttl hit cost vs BentoCache getOrSet hit: ${vsBento.map((v) => `${v.vixTtlCostVsBentoCache.toFixed(2)}× at ${v.concurrency} caller(s)`).join(', ')}`);
  console.log('A vix-ttl hit is one EVALSHA (GET + TIME) plus a breaker decision served from its 100 ms sync window.');

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/cache-hit.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runMs: RUN_MS, rounds: ROUNDS, rows: rows.map((r) => ({ ...r, costVsRawGet: ratio(r) })), vsBentoCache: vsBento, samples }, null, 2)}\n`,
  );
  await bento.disconnectAll();
  await breaker.close();
} finally {
  await server.stop();
}
