// POST /v1/ttl/batch's decisions for 1,000 panics in new scopes, Redis behind a slow link (a real
// redis-server through test/support/delay-proxy.ts, 10 ms each way): decideBatch as it is now (every
// waiting item started at once, gathered by the breaker into one observeMany) against the former way
// (at most 32 items waiting for the clock at a time), in alternating rounds on one breaker per round.
// Each figure is min / median / max of the request's time, and the Redis scripts it ran (EVALSHA + EVAL).
// Run: npx tsx bench/batch-route.bench.ts → bench/results/batch-route.json (BENCH_BATCH_ROUNDS, default 5)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { RedisPanicClock, VixCircuitBreaker } from '../src/index.js';
import { decideBatch } from '../src/server/http/ttl-batch.js';
import { commandCalls, diffCalls } from '../test/support/commandstats.js';
import { DelayProxy } from '../test/support/delay-proxy.js';
import { RedisServer } from '../test/support/redis-server.js';

const ROUNDS = Number(process.env.BENCH_BATCH_ROUNDS ?? 5);
const ITEMS = 1000;
const LINK_DELAY_MS = 10;
/** The former BATCH_ROUND_TRIPS: items waiting for the clock at once. */
const FORMER_WAVE = 32;

type Decide = (breaker: VixCircuitBreaker, items: readonly unknown[]) => Promise<unknown[]>;

/** The former decideBatch's waiting part: FORMER_WAVE workers taking the items in turn. */
const formerWaves: Decide = async (breaker, items) => {
  const answers = new Array<unknown>(items.length);
  let next = 0;
  const wave = async () => {
    while (next < items.length) {
      const index = next++;
      answers[index] = await breaker.getTtl(items[index] as never);
    }
  };
  await Promise.all(Array.from({ length: FORMER_WAVE }, wave));
  return answers;
};

const VARIANTS: Array<{ label: string; decide: Decide }> = [
  { label: `former: ${FORMER_WAVE} at a time`, decide: formerWaves },
  { label: 'now: all at once (decideBatch)', decide: (breaker, items) => decideBatch(breaker, items) },
];

const redis = await RedisServer.start();
const admin = redis.client();
const proxy = await DelayProxy.start(redis.port);
const link = new Redis({ host: '127.0.0.1', port: proxy.port });
const samples = new Map(VARIANTS.map((v) => [v.label, { ms: [] as number[], scripts: [] as number[], failSafe: 0 }]));
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const variant of order) {
      proxy.delayMs = 0;
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(link, { timeoutMs: 5000 }), timeoutMs: 5000, maxPanicScopes: 100_000, syncIntervalMs: 60_000 });
      await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm', scope: 'warm-up' }); // the clock learns Redis's time
      proxy.delayMs = LINK_DELAY_MS;
      const items = Array.from({ length: ITEMS }, (_, i) => ({ baseTtl: 60, vixStatus: 'panic', scope: `r${round}-${variant.decide === formerWaves ? 'w' : 'a'}-${i}` }));
      const before = await commandCalls(admin);
      const started = performance.now();
      const answers = (await variant.decide(breaker, items)) as Array<{ failSafe?: boolean }>;
      const ms = performance.now() - started;
      const calls = diffCalls(before, await commandCalls(admin));
      const sample = samples.get(variant.label)!;
      sample.ms.push(ms);
      sample.scripts.push((calls.evalsha ?? 0) + (calls.eval ?? 0));
      sample.failSafe += answers.filter((a) => a.failSafe).length;
      await breaker.close();
    }
  }
} finally {
  link.disconnect();
  await proxy.close();
  await redis.stop();
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: round1(sorted[0]!), median: round1(sorted[Math.floor(sorted.length / 2)]!), max: round1(sorted.at(-1)!) };
};
const round1 = (n: number) => Math.round(n * 10) / 10;
const results = VARIANTS.map(({ label }) => {
  const s = samples.get(label)!;
  return { variant: label, ms: stats(s.ms), scripts: stats(s.scripts), failSafeDecisions: s.failSafe };
});
const baseline = results[0]!.ms.median;
const out = {
  what: `${ITEMS} panics in new scopes through decideBatch, Redis behind a ${2 * LINK_DELAY_MS} ms round trip`,
  rounds: ROUNDS,
  node: process.version,
  loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
  results: results.map((r) => ({ ...r, speedupVsFormer: round1(baseline / r.ms.median) })),
};
for (const r of out.results) console.log(`${r.variant.padEnd(34)} ms ${r.ms.min}/${r.ms.median}/${r.ms.max}  scripts ${r.scripts.median}  fail-safe ${r.failSafeDecisions}  ×${r.speedupVsFormer}`);
console.log(`load ${out.loadavg.join(' ')}, Node ${out.node}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/batch-route.json', `${JSON.stringify(out, null, 2)}\n`);
