import { describe, expect, it } from 'vitest';
import { AdaptiveCache, encodeMarketChange, RedisCacheStore, RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { useRedisWorkers } from '../support/use-redis-workers.js';

const PROCESSES = 3;
const SYNC_MS = 100;
/** The breaker's sync window plus the clock's answer on a loaded 2-core machine: decisions started later must know of the panic. */
const PANIC_BOUND_MS = SYNC_MS + 400;

type Row = [began: number, status: string, l1: boolean, writtenAtMs: number | null, ttl: number, tier: number];
interface Report {
  pid: number;
  rows: Row[];
  stats: Record<string, number>;
}

describe(`${PROCESSES} real processes with an in-process tier on one redis-server`, () => {
  const fleet = useRedisWorkers('l1-worker.ts', PROCESSES, (url) => [url, String(SYNC_MS)]);

  async function run(key: string, ms: number, tags?: string[]): Promise<Report[]> {
    const until = Date.now() + ms;
    for (const worker of fleet.workers) worker.send({ cmd: 'run', until, key, tags });
    return (await Promise.all(fleet.workers.map((w) => w.next()))) as unknown as Report[];
  }

  it(
    'through calm, a panic written by another process and tiers 1–4: no value is ever served older than the decision allowed, and the panic voids every copy within one sync interval',
    async () => {
      await fleet.client.flushall();
      const clock = new RedisPanicClock(fleet.client, { timeoutMs: 2000 });
      const running = run('odds:psg-om', 14_000);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // calm: copies everywhere
      const panicAt = (await clock.startPanic()).startedAtMs!;
      const reports = await running;

      let hits = 0;
      let worstVoidMs = 0;
      for (const { rows, stats } of reports) {
        expect(stats.l1Hits).toBeGreaterThan(0);
        for (const [began, status, l1, writtenAtMs, ttl, tier] of rows) {
          if (status !== 'hit') continue;
          hits += 1;
          // The entry was already this old when the call began, so at least this old when it was judged.
          expect(began - writtenAtMs!, `a ${l1 ? "copy" : "store entry"} served too old at tier ${tier}`).toBeLessThanOrEqual(ttl * 1000); // whole ms on both sides: a difference of ttl is an age just under it
          if (writtenAtMs! < panicAt) worstVoidMs = Math.max(worstVoidMs, began - panicAt);
        }
        const late = rows.filter(([began]) => began >= panicAt + PANIC_BOUND_MS);
        expect(late.every(([, , , , , tier]) => tier >= 1)).toBe(true);
        expect(late.filter(([, status, , writtenAtMs]) => status === 'hit' && writtenAtMs! < panicAt)).toEqual([]);
        const l1ByTier = [1, 2, 3, 4].map((t) => rows.filter(([, status, l1, , , tier]) => tier === t && status === 'hit' && l1).length);
        expect(l1ByTier[0]).toBe(0); // tier 1 is TTL 0
        expect(l1ByTier.slice(1).every((n) => n > 0)).toBe(true); // copies serve again in tiers 2–4
        expect(rows.some(([began, , l1]) => began < panicAt && l1)).toBe(true);
      }
      process.stdout.write(`[l1 multi-process] ${hits} hits checked; last pre-panic entry served ${Math.round(worstVoidMs)} ms after the panic start (sync ${SYNC_MS} ms)\n`);
    },
    60_000,
  );

  it('delete, invalidateTags and a market change in one process drop the copies of every other process, and the next reads load again', async () => {
    await fleet.client.flushall();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(fleet.client, { timeoutMs: 2000 }), timeoutMs: 2000 });
    const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(fleet.client), timeoutMs: 2000, l1: { max: 100 } });
    expect(await cache.ready()).toBe(true);
    const tags = ['match:psg-om', 'market:psg-om:1x2'];
    for (const [label, invalidate] of [
      ['delete', () => cache.delete('odds:k')],
      ['invalidateTags', () => cache.invalidateTags(['match:psg-om'])],
      ['market change', () => fleet.client.publish('vix-ttl:market-changes', encodeMarketChange({ id: `m${Date.now()}`, markets: ['psg-om:1x2'] }))],
    ] as const) {
      const warm = await run('odds:k', 300, tags);
      expect(warm.every((r) => r.rows.some(([, status, l1]) => status === 'hit' && l1)), label).toBe(true);
      for (const worker of fleet.workers) worker.send({ cmd: 'arm' });
      expect((await Promise.all(fleet.workers.map((w) => w.next()))).every((a) => a.armed === true)).toBe(true);
      const sentAt = Date.now();
      await invalidate();
      const received = await Promise.all(fleet.workers.map((w) => w.next()));
      expect(received.every((r) => (r.received as number) >= sentAt), label).toBe(true);
      expect(received.every((r) => (r.dropped as number) === 1), label).toBe(true);
      // Once told, no process serves the dropped copy: the first read of each loads (or shares a load) anew.
      const after = await run('odds:k', 100, tags);
      for (const { rows } of after) {
        const [, status, l1, writtenAtMs] = rows[0]!;
        expect([status, l1], label).not.toEqual(['hit', true]);
        expect(writtenAtMs! >= sentAt - 5 || status !== 'hit', label).toBe(true);
      }
    }
    await cache.close();
    await breaker.close();
  }, 60_000);
});
