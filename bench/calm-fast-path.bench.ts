// What a sync round of a fleet with calm scopes costs Redis, now that the batch script's fast path
// takes scopes known calm (tag `n`: their keys must still be missing, one EXISTS per 1,000 keys)
// instead of sending the whole round through the per-key loop. Redis CPU per 1,000-key EVALSHA of
// OBSERVE_MANY_SCRIPT, three variants alternating in each round, min / median / max over ROUNDS:
// every key a known start (the fast path's best case), half the keys calm on the fast path, and the
// same half-calm batch judged by the loop (what every such round cost before: the first key is tagged
// `u`, unknown, which the fast path never takes). Run:
// flock /work/wt/bench.lock npx tsx bench/calm-fast-path.bench.ts → bench/results/calm-fast-path.json
// (BENCH_CALM_ROUNDS, default 7; BENCH_CALM_SCRIPTS per variant and round, default 300)
import { mkdirSync, writeFileSync } from 'node:fs';
import { OBSERVE_MANY_SCRIPT } from '../src/clock/redis-scripts.js';
import { RedisServer } from '../test/support/redis-server.js';
import { compareScriptVariants } from './script-variants.js';

const KEYS = 1000;
const ROUNDS = Number(process.env.BENCH_CALM_ROUNDS ?? 7);
const SCRIPTS = Number(process.env.BENCH_CALM_SCRIPTS ?? 300);

const server = await RedisServer.start();
const redis = server.client();
const panicKeys = Array.from({ length: KEYS }, (_, i) => `brain:panic_start_ts:p-${i}`);
const mixedKeys = Array.from({ length: KEYS }, (_, i) => `brain:panic_start_ts:${i % 2 === 0 ? 'calm' : 'p'}-${i}`);
const [seconds] = await redis.time();
const start = `${Number(seconds) - 60}.250000`;
const pipeline = redis.pipeline();
for (const key of panicKeys) pipeline.set(key, start, 'EX', 86_400);
await pipeline.exec();
const sha = (await redis.script('LOAD', OBSERVE_MANY_SCRIPT)) as string;
const mixedTags = mixedKeys.map((_, i) => (i % 2 === 0 ? 'n' : `a${start}`));
const variants: Record<string, { keys: string[]; tags: string; loop: boolean }> = {
  'all panic, fast path': { keys: panicKeys, tags: panicKeys.map(() => `a${start}`).join(','), loop: false },
  'half calm, fast path (now)': { keys: mixedKeys, tags: mixedTags.join(','), loop: false },
  'half calm, the loop (before)': { keys: mixedKeys, tags: ['u', ...mixedTags.slice(1)].join(','), loop: true },
};
const { rows: measured, load } = await compareScriptVariants(
  redis,
  Object.fromEntries(
    Object.entries(variants).map(([name, { keys, tags, loop }]) => [
      name,
      {
        run: () => redis.evalsha(sha, KEYS, ...keys, '', '86400', '0', '300', '', '60', 'r'.repeat(KEYS), tags),
        // The fast path answers {now}; the loop also lists the key tagged 'u' (7 fields).
        check: (reply: unknown) => {
          if ((reply as unknown[]).length !== (loop ? 8 : 1)) throw new Error(`${name}: ${(reply as unknown[]).length} fields, not the path this variant measures`);
        },
      },
    ]),
  ),
  ROUNDS,
  SCRIPTS,
);
const before = measured.find((row) => row.variant === 'half calm, the loop (before)')!.redisCpuMsPerScript.median;
const rows = measured.map((row) => ({ ...row, ratioToLoop: row.redisCpuMsPerScript.median / before }));
const context = { node: process.version, redis: (await redis.info('server')).match(/redis_version:(\S+)/)?.[1], loadavg1: load, rounds: ROUNDS, scriptsPerRound: SCRIPTS, keysPerScript: KEYS };
for (const row of rows) {
  const { min, median, max } = row.redisCpuMsPerScript;
  console.log(`${row.variant.padEnd(30)} ${min.toFixed(3)} / ${median.toFixed(3)} / ${max.toFixed(3)} ms Redis CPU per script  ×${row.ratioToLoop.toFixed(2)} of the loop`);
}
console.log(`Node ${context.node}, redis ${context.redis}, 1-min load ${context.loadavg1.min.toFixed(2)}–${context.loadavg1.max.toFixed(2)} (shared machine)`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/calm-fast-path.json', `${JSON.stringify({ context, rows }, null, 2)}\n`);
redis.disconnect();
await server.stop();
