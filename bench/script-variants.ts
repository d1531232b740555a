// Shared by the benches that compare variants of one batch-script call by the CPU Redis spends on it
// (bench/expiry-check.bench.ts, bench/calm-fast-path.bench.ts): the variants alternate within each
// round (in reverse order every other round), and each gives min / median / max over the rounds.
import { loadavg } from 'node:os';
import type { Redis } from 'ioredis';

/** One variant: the call to measure, and a check of its reply (that it took the path the variant is about). */
export interface ScriptVariant {
  run(): Promise<unknown>;
  check(reply: unknown): void;
}

/** Redis CPU per call of one variant, ms, over the rounds. */
export interface VariantRow {
  variant: string;
  redisCpuMsPerScript: { min: number; median: number; max: number };
}

/** Redis's own CPU (user + system) so far, ms, from `INFO cpu`. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return (Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1])) * 1000;
}

/**
 * Runs each variant `calls` times per round for `rounds` rounds, alternating, and gives
 * Redis's CPU per call (min / median / max over the rounds) and the 1-min load seen.
 */
export async function compareScriptVariants(redis: Redis, variants: Record<string, ScriptVariant>, rounds: number, calls: number): Promise<{ rows: VariantRow[]; load: { min: number; max: number } }> {
  const perCall: Record<string, number[]> = {};
  const loads: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const names = Object.keys(variants);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      const { run, check } = variants[name]!;
      const before = await redisCpuMs(redis);
      for (let i = 0; i < calls; i += 1) check(await run());
      (perCall[name] ??= []).push(((await redisCpuMs(redis)) - before) / calls);
      loads.push(loadavg()[0]!);
    }
  }
  const rows = Object.entries(perCall).map(([variant, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { variant, redisCpuMsPerScript: { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! } };
  });
  return { rows, load: { min: Math.min(...loads), max: Math.max(...loads) } };
}
