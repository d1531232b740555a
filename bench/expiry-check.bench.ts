// What checking a known start's expiry costs the batch script's fast path (a sync round's steady state:
// every key a read of the start the caller knows). Redis CPU per 1,000-key EVALSHA of OBSERVE_MANY_SCRIPT
// with the keys tagged as RedisPanicClock tags them (`A` on 1 key in EXPIRY_CHECK_EVERY: PTTL on those),
// against no `A` (no PTTL: what the fast path cost before it checked expiries) and `A` on every key (a
// PTTL per key per round), the three alternating in each round; min / median / max over ROUNDS.
// Run: flock /work/wt/bench.lock npx tsx bench/expiry-check.bench.ts → bench/results/expiry-check.json
// (BENCH_EXPIRY_ROUNDS, default 7; BENCH_EXPIRY_SCRIPTS per variant and round, default 300)
import { mkdirSync, writeFileSync } from 'node:fs';
import { EXPIRY_CHECK_EVERY, OBSERVE_MANY_SCRIPT } from '../src/clock/redis-scripts.js';
import { RedisServer } from '../test/support/redis-server.js';
import { compareScriptVariants } from './script-variants.js';

const KEYS = 1000;
const ROUNDS = Number(process.env.BENCH_EXPIRY_ROUNDS ?? 7);
const SCRIPTS = Number(process.env.BENCH_EXPIRY_SCRIPTS ?? 300);

const server = await RedisServer.start();
const redis = server.client();
const keys = Array.from({ length: KEYS }, (_, i) => `brain:panic_start_ts:m-${i}`);
const [seconds] = await redis.time();
const start = `${Number(seconds) - 60}.250000`;
const pipeline = redis.pipeline();
for (const key of keys) pipeline.set(key, start, 'EX', 86_400);
await pipeline.exec();
const sha = (await redis.script('LOAD', OBSERVE_MANY_SCRIPT)) as string;
const tags = (every: number) => keys.map((_, i) => `${every > 0 && i % every === 0 ? 'A' : 'a'}${start}`).join(',');
const variants: Record<string, string> = {
  'no expiry check': tags(0),
  [`1 key in ${EXPIRY_CHECK_EVERY} checked (the clock)`]: tags(EXPIRY_CHECK_EVERY),
  'every key checked': tags(1),
};
const expectFast = (name: string) => (reply: unknown) => {
  if ((reply as unknown[]).length !== 1) throw new Error(`${name}: the round left the fast path`);
};
const { rows: measured, load } = await compareScriptVariants(
  redis,
  Object.fromEntries(Object.entries(variants).map(([name, tagged]) => [name, { run: () => redis.evalsha(sha, KEYS, ...keys, '', '86400', '0', '300', '', '60', 'r'.repeat(KEYS), tagged), check: expectFast(name) }])),
  ROUNDS,
  SCRIPTS,
);
const baseline = measured.find((row) => row.variant === 'no expiry check')!.redisCpuMsPerScript.median;
const rows = measured.map((row) => ({ ...row, ratio: row.redisCpuMsPerScript.median / baseline }));
const context = { node: process.version, redis: (await redis.info('server')).match(/redis_version:(\S+)/)?.[1], loadavg1: load, rounds: ROUNDS, scriptsPerRound: SCRIPTS, keysPerScript: KEYS };
for (const row of rows) {
  const { min, median, max } = row.redisCpuMsPerScript;
  console.log(`${row.variant.padEnd(36)} ${min.toFixed(3)} / ${median.toFixed(3)} / ${max.toFixed(3)} ms Redis CPU per script  ×${row.ratio.toFixed(2)}`);
}
console.log(`Node ${context.node}, redis ${context.redis}, 1-min load ${context.loadavg1.min.toFixed(2)}–${context.loadavg1.max.toFixed(2)} (shared machine)`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/expiry-check.json', `${JSON.stringify({ context, rows }, null, 2)}\n`);
redis.disconnect();
await server.stop();
