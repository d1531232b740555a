import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/clock/redis-panic-clock.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import { VixPublisher } from '../../src/vix/vix-publisher.js';
import { useRedisWorkers } from '../support/use-redis-workers.js';
import { MINUTE, stream } from './vix-streams.js';

const SCOPE = 'rma-bay';
const KEY = `brain:panic_start_ts:${SCOPE}`;

interface Decision {
  tier: number;
  ttl: number;
  mode: string;
  failSafe: boolean;
  panicDurationMin: number | null;
}

describe('publisher mode across processes: two real workers read the status the engine publishes on a real redis-server', () => {
  const fleet = useRedisWorkers('vix-reader-worker.ts', 2);
  let engine: VixEngine;
  let publisher: VixPublisher;
  let ticks: unknown[];

  beforeAll(async () => {
    engine = new VixEngine();
    publisher = new VixPublisher({ engine, clock: new RedisPanicClock(fleet.server.client(), { timeoutMs: 1000 }) });
    ticks = stream({ seed: 91, durationMs: 45 * MINUTE, scopes: [{ scope: SCOPE, markets: 4, meanGapMs: 2000 }, { scope: 'psg-bvb', markets: 4, meanGapMs: 2000 }], events: [{ scope: SCOPE, atMs: 20 * MINUTE, durationMs: 4 * MINUTE, volatility: 10, jump: 0.3 }] });
  }, 60_000);

  afterAll(async () => {
    await publisher?.close();
  });

  /** Both workers decide for the same input (no vixStatus: publisher mode); returns both decisions. */
  async function ask(input: object): Promise<Decision[]> {
    for (const worker of fleet.workers) worker.send(input);
    const answers = await Promise.all(fleet.workers.map((w) => w.next()));
    expect(new Set(answers.map((a) => a.pid)).size).toBe(2);
    return answers.map((a) => a.decision as Decision);
  }

  function ingestUntil(done: () => boolean): void {
    while (ticks.length > 0) {
      engine.ingest(ticks.shift());
      if (done()) return;
    }
    throw new Error('the stream ended first');
  }

  it('before any panic both read tier 0', async () => {
    ingestUntil(() => engine.snapshot(SCOPE)?.warm === true);
    const decisions = await ask({ baseTtl: 60, scope: SCOPE, match: { league: 'Premier League' } });
    expect(decisions.map((d) => [d.tier, d.ttl])).toEqual([
      [0, 60],
      [0, 60],
    ]);
  });

  it('after the engine publishes a panic, both read tier 1 (TTL 0) from the same start', async () => {
    ingestUntil(() => engine.status(SCOPE) === 'panic');
    await publisher.idle();
    expect(await fleet.client.exists(KEY)).toBe(1);
    const decisions = await ask({ baseTtl: 60, scope: SCOPE, match: { league: 'Premier League' } });
    expect(decisions.map((d) => [d.tier, d.ttl, d.mode, d.failSafe])).toEqual([
      [1, 0, 'PANIC_FULL', false],
      [1, 0, 'PANIC_FULL', false],
    ]);
    const other = await ask({ baseTtl: 60, scope: 'psg-bvb' });
    expect(other.map((d) => d.tier)).toEqual([0, 0]);
  });

  it('with the start backdated 100 minutes, both agree on the later tier for each importance, and a refresh keeps that start', async () => {
    await publisher.idle();
    await new RedisPanicClock(fleet.client, { timeoutMs: 5000 }).startPanic(SCOPE, { ageMs: 100 * MINUTE });
    await publisher.refresh();
    const medium = await ask({ baseTtl: 60, scope: SCOPE, match: { league: 'Premier League' } });
    expect(medium.map((d) => [d.tier, d.ttl, d.mode])).toEqual([
      [3, 30, 'DEGRADED'],
      [3, 30, 'DEGRADED'],
    ]);
    expect(medium.every((d) => d.panicDurationMin! >= 100 && d.panicDurationMin! < 101)).toBe(true);
    const high = await ask({ baseTtl: 60, scope: SCOPE, match: { matchType: 'final' } });
    expect(high.map((d) => [d.tier, d.ttl])).toEqual([
      [2, 5],
      [2, 5],
    ]);
    expect(await fleet.client.ttl(KEY)).toBeGreaterThan(86_000);
  });

  it('after the engine publishes calm, the key is gone and both read tier 0 again', async () => {
    ingestUntil(() => engine.status(SCOPE) === 'calm');
    await publisher.idle();
    expect(await fleet.client.exists(KEY)).toBe(0);
    const decisions = await ask({ baseTtl: 60, scope: SCOPE, match: { league: 'Premier League' } });
    expect(decisions.map((d) => [d.tier, d.ttl, d.mode])).toEqual([
      [0, 60, 'NORMAL'],
      [0, 60, 'NORMAL'],
    ]);
  });
});
