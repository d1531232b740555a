import { describe, expect, it } from 'vitest';
import { useRedisWorkers } from '../support/use-redis-workers.js';

const KEY = 'brain:panic_start_ts';
const WORKERS = 8;

describe(`${WORKERS} real processes observing a fresh panic at the same instant`, () => {
  const fleet = useRedisWorkers('breaker-worker.ts', WORKERS, (url) => [url, '0']);

  async function fireTogether(command: object): Promise<Array<Record<string, unknown>>> {
    const at = Date.now() + 300;
    for (const worker of fleet.workers) worker.send({ ...command, at });
    return Promise.all(fleet.workers.map((w) => w.next()));
  }

  it('leave exactly one start value: one creator, and every process reads that start', async () => {
    await fleet.client.del(KEY);
    const answers = await fireTogether({ observe: true, input: { baseTtl: 60, vixStatus: 'panic' } });
    const observations = answers.map((a) => a.observation as { created: boolean; startedAtMs: number });
    expect(new Set(answers.map((a) => a.pid)).size).toBe(WORKERS);
    expect(observations.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(observations.map((o) => o.startedAtMs)).size).toBe(1);
    expect(Number(await fleet.client.get(KEY)) * 1000).toBeCloseTo(observations[0]!.startedAtMs, 0);
  });

  it('all decide tier 1 (TTL 0) through getTtl', async () => {
    await fleet.client.del(KEY);
    const answers = await fireTogether({ input: { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } } });
    const decisions = answers.map((a) => a.decision as { tier: number; ttl: number; failSafe: boolean });
    expect(decisions.every((d) => d.tier === 1 && d.ttl === 0 && !d.failSafe)).toBe(true);
    expect(await fleet.client.exists(KEY)).toBe(1);
  });

  it('with a start 100 minutes old, all decide the same tier 3 for Premier League', async () => {
    const [s] = await fleet.client.time();
    await fleet.client.set(KEY, String(Number(s) - 100 * 60), 'EX', 86_400);
    const answers = await fireTogether({ input: { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' } } });
    const decisions = answers.map((a) => a.decision as { tier: number; ttl: number });
    expect(decisions.every((d) => d.tier === 3 && d.ttl === 30)).toBe(true);
  });
});
