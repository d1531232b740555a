import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../support/redis-server.js';
import { startWorkers, stopWorkers, type Worker } from '../support/spawn-workers.js';

const KEY = 'brain:panic_start_ts';
const WORKERS = 8;

describe(`${WORKERS} real processes observing a fresh panic at the same instant`, () => {
  let server: RedisServer;
  let redis: Redis;
  let workers: Worker[];

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    workers = await startWorkers('breaker-worker.ts', WORKERS, [server.url, '0']);
  }, 60_000);

  afterAll(async () => {
    stopWorkers(workers);
    await server.stop();
  });

  async function fireTogether(command: object): Promise<Array<Record<string, unknown>>> {
    const at = Date.now() + 300;
    for (const worker of workers) worker.send({ ...command, at });
    return Promise.all(workers.map((w) => w.next()));
  }

  it('leave exactly one start value: one creator, and every process reads that start', async () => {
    await redis.del(KEY);
    const answers = await fireTogether({ observe: true, input: { baseTtl: 60, vixStatus: 'panic' } });
    const observations = answers.map((a) => a.observation as { created: boolean; startedAtMs: number });
    expect(new Set(answers.map((a) => a.pid)).size).toBe(WORKERS);
    expect(observations.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(observations.map((o) => o.startedAtMs)).size).toBe(1);
    expect(Number(await redis.get(KEY)) * 1000).toBeCloseTo(observations[0]!.startedAtMs, 0);
  });

  it('all decide tier 1 (TTL 0) through getTtl', async () => {
    await redis.del(KEY);
    const answers = await fireTogether({ input: { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } } });
    const decisions = answers.map((a) => a.decision as { tier: number; ttl: number; failSafe: boolean });
    expect(decisions.every((d) => d.tier === 1 && d.ttl === 0 && !d.failSafe)).toBe(true);
    expect(await redis.exists(KEY)).toBe(1);
  });

  it('with a start 100 minutes old, all decide the same tier 3 for Premier League', async () => {
    const [s] = await redis.time();
    await redis.set(KEY, String(Number(s) - 100 * 60), 'EX', 86_400);
    const answers = await fireTogether({ input: { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } } });
    const decisions = answers.map((a) => a.decision as { tier: number; ttl: number });
    expect(decisions.every((d) => d.tier === 3 && d.ttl === 30)).toBe(true);
  });
});
