// Hit-path cost of AdaptiveCache.getOrLoad, in one run on one redis-server, against a raw
// ioredis GET + JSON.parse (the baseline) and against BentoCache's getOrSet:
// - Redis only: vix-ttl (EVALSHA GET + TIME) vs BentoCache with a Redis L2 only;
// - with an in-process tier: vix-ttl `l1` (Redis + pub/sub bus) vs BentoCache with a memory L1,
//   a Redis L2 and a Redis bus, set up as its multi-tier documentation says.
// Designs alternate within each round; min / median / max over the rounds.
// Run: npx tsx bench/cache-hit.bench.ts → bench/results/cache-hit.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker } from '../src/index.js';
import { RedisServer } from '../test/support/redis-server.js';
import { printTable } from './print-table.js';

const CONCURRENCIES = [1, 32];
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KEY = 'odds:psg-om';
const VALUE = { match: 'PSG-OM', home: 1.85, draw: 3.4, away: 4.2, updatedAt: '2026-06-14T20:00:00Z', markets: Array.from({ length: 8 }, (_, i) => ({ id: i, price: 1.5 + i / 10 })) };
const INPUT = { baseTtl: 3600, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;

interface Sample {
  design: string;
  concurrency: number;
  round: number;
  opsPerSecond: number;
}

/** `concurrency` callers each loop `op` for RUN_MS; ops per second. */
async function loop(concurrency: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i += 1) await op(); // warm-up: scripts loaded, JIT warm
  let ops = 0;
  const deadline = performance.now() + RUN_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        // Check the clock every 64 calls: at millions of in-process hits a second, performance.now() per call would be part of what is measured.
        for (let i = 0; i < 64; i += 1) await op();
        ops += 64;
      }
    }),
  );
  return (ops / (performance.now() - started)) * 1000;
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! };
};

const server = await RedisServer.start();
try {
  const raw = server.client();
  await raw.set(`raw:${KEY}`, JSON.stringify(VALUE));
  const miss = () => Promise.reject(new Error('the bench measures hits only'));

  // syncIntervalMs: the default 100 ms (decisions from the sync window: a clock round trip every 100 ms per scope).
  const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(server.client(), { timeoutMs: 1000 }), timeoutMs: 1000 });
  const redisOnly = new AdaptiveCache({ breaker, store: new RedisCacheStore(server.client()), timeoutMs: 1000, namespace: 'bench:redis:' });
  const withL1 = new AdaptiveCache({ breaker, store: new RedisCacheStore(server.client()), timeoutMs: 1000, namespace: 'bench:l1:', l1: { max: 10_000 } });
  if (!(await withL1.ready())) throw new Error('the vix-ttl bus did not come up');
  await redisOnly.getOrLoad(KEY, async () => VALUE, INPUT);
  await withL1.getOrLoad(KEY, async () => VALUE, INPUT);

  const connection = { host: '127.0.0.1', port: server.port };
  const bentoL2 = new BentoCache({ default: 'redis', stores: { redis: bentostore().useL2Layer(redisDriver({ connection: server.client() })) } });
  const bentoTiered = new BentoCache({
    default: 'multitier',
    stores: { multitier: bentostore().useL1Layer(memoryDriver({ maxSize: '10mb' })).useL2Layer(redisDriver({ connection })).useBus(redisBusDriver({ connection })) },
  });
  await bentoL2.getOrSet({ key: KEY, factory: async () => VALUE, ttl: '1h' });
  await bentoTiered.getOrSet({ key: KEY, factory: async () => VALUE, ttl: '1h' });

  const designs: Array<[string, () => Promise<unknown>]> = [
    ['raw ioredis GET + JSON.parse (baseline)', async () => JSON.parse((await raw.get(`raw:${KEY}`))!)],
    ['vix-ttl getOrLoad hit, Redis only', () => redisOnly.getOrLoad(KEY, miss, INPUT)],
    ['vix-ttl getOrLoad hit, l1 (in-process copy)', () => withL1.getOrLoad(KEY, miss, INPUT)],
    ['BentoCache getOrSet hit, Redis L2 only', () => bentoL2.getOrSet({ key: KEY, factory: miss, ttl: '1h' })],
    ['BentoCache getOrSet hit, memory L1 + Redis L2 + bus', () => bentoTiered.getOrSet({ key: KEY, factory: miss, ttl: '1h' })],
  ];
  const load = [loadavg()[0]!];
  const samples: Sample[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const concurrency of CONCURRENCIES) {
      // Alternate the order every round, so drift on a shared machine hits every design alike.
      const order = round % 2 === 0 ? designs : [...designs].reverse();
      for (const [design, op] of order) samples.push({ design, concurrency, round, opsPerSecond: await loop(concurrency, op) });
    }
    load.push(loadavg()[0]!);
  }
  const l1Stats = withL1.stats();
  if (l1Stats.loads > 1 || l1Stats.l1Hits === 0 || l1Stats.l1Hits < l1Stats.hits - 10) throw new Error(`the l1 rows were not in-process hits: ${JSON.stringify(l1Stats)}`);
  if (redisOnly.stats().loads > 1) throw new Error('the Redis-only rows were not hits');

  // Ratios within each round (the baseline of the same round and concurrency), then min / median / max over rounds.
  const ratioOf = (design: string, concurrency: number, versus: string) =>
    stats(Array.from({ length: ROUNDS }, (_, round) => {
      const pick = (d: string) => samples.find((s) => s.design === d && s.concurrency === concurrency && s.round === round)!.opsPerSecond;
      return pick(versus) / pick(design); // cost of `design` in units of `versus`
    }));
  const baseline = designs[0]![0];
  const rows = CONCURRENCIES.flatMap((c) =>
    designs.map(([design]) => ({ design, concurrency: c, opsPerSecond: stats(samples.filter((s) => s.design === design && s.concurrency === c).map((s) => s.opsPerSecond)), costVsRawGet: ratioOf(design, c, baseline) })),
  );
  const l1VsBento = CONCURRENCIES.map((c) => ({ concurrency: c, cost: ratioOf('vix-ttl getOrLoad hit, l1 (in-process copy)', c, 'BentoCache getOrSet hit, memory L1 + Redis L2 + bus') }));
  const fmt = (s: { min: number; median: number; max: number }, digits = 3) => `${s.median.toFixed(digits)}× (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

  console.log(`\nHit path on one redis-server (loopback), ${RUN_MS / 1000} s per row, ${ROUNDS} alternating rounds; Node ${process.version}; load average ${load.map((l) => l.toFixed(2)).join(' → ')}.`);
  console.log('cost vs raw GET = baseline ops/s ÷ design ops/s in the same round: median (min–max).\n');
  printTable(
    ['callers', 'design', 'ops/s median', 'cost vs raw GET + JSON.parse'],
    rows.map((r) => [r.concurrency, r.design, Math.round(r.opsPerSecond.median).toLocaleString('en-US'), fmt(r.costVsRawGet)]),
  );
  console.log(`\nvix-ttl l1 hit cost vs BentoCache L1 hit: ${l1VsBento.map((v) => `${fmt(v.cost)} at ${v.concurrency} caller(s)`).join(', ')}`);
  console.log('A vix-ttl l1 hit: a Map lookup, a decision from the breaker\'s sync window (no I/O) and an age check; no Redis command.');

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('./results/cache-hit.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage1m: load, runMs: RUN_MS, rounds: ROUNDS, rows, l1VsBentoCacheL1: l1VsBento, samples }, null, 2)}\n`,
  );
  await withL1.close();
  await bentoL2.disconnectAll();
  await bentoTiered.disconnectAll();
  await breaker.close();
} finally {
  await server.stop();
}
