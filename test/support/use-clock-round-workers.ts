import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import type { RedisServer } from './redis-server.js';
import { startWorkers, stopWorkers, type Worker } from './spawn-workers.js';

/** What one process answered in a round: each scope's start (ms, or null), and how many values it repaired. */
export interface ClockRoundAnswer {
  starts: unknown[];
  repaired: number;
}

/** Real processes refreshing the same scopes with their own `RedisPanicClock`, and the per-key loop to judge them by. */
export interface ClockRoundWorkers {
  /** One read round of scopes `s-0`…`s-<count - 1>` in every process at the same instant. */
  round(): Promise<ClockRoundAnswer[]>;
  /** What the per-key loop reads now: a fresh clock knows no key, so it judges each one. */
  loopReads(): Promise<unknown[]>;
}

/**
 * Starts `processes` processes running `test/fixtures/clock-round-worker.ts` on the
 * server `server()` gives, under `prefix`, for the `describe` it is called in (stopped
 * after its last test). For claims that processes which know the keys (and take the batch
 * script's fast path) answer what the loop does while another process writes to them.
 */
export function useClockRoundWorkers(server: () => RedisServer, redis: () => Redis, prefix: string, processes: number, count: number): ClockRoundWorkers {
  let workers: Worker[] = [];
  beforeAll(async () => {
    workers = await startWorkers('clock-round-worker.ts', processes, [server().url, prefix]);
  }, 60_000);
  afterAll(() => stopWorkers(workers));
  return {
    async round() {
      const at = Date.now() + 200;
      for (const worker of workers) worker.send({ count, at });
      return (await Promise.all(workers.map((w) => w.next()))).map((line) => ({ starts: line.starts as unknown[], repaired: line.repaired as number }));
    },
    async loopReads() {
      const fresh = new RedisPanicClock(redis(), { keyPrefix: prefix, timeoutMs: 5000, maxKeysPerScript: 2000 });
      const results = await fresh.observeMany(Array.from({ length: count }, (_, i) => ({ scope: `s-${i}`, kind: 'read' as const })));
      return results.map((r) => (r.ok ? r.observation.startedAtMs : `error: ${r.error.message}`));
    },
  };
}
