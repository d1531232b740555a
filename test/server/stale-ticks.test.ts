import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/clock/memory-panic-clock.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { LocalVix } from '../../src/server/vix/local-vix.js';
import type { TickBatchAnswer } from '../../src/server/vix/vix-source.js';
import { useServiceOnRedis } from '../support/use-service-on-redis.js';
import { httpRequest, postJson } from './http-helpers.js';
import { junkScope } from '../support/junk-scope.js';

const MINUTE = 60_000;

describe('ticks from the past, on the service (wall clock, real redis-server)', () => {
  // A table of 100 scopes, so the junk below must be evicted; no tick budget in the way.
  const served = useServiceOnRedis({ clockTimeoutMs: 1000, maxTicksPerSecond: 10_000_000, vixEngine: { maxScopes: 100 } });

  it('a feed in seconds (1.7e9 ms is January 1970) is rejected stale_ts, every tick, counted in the answer, /v1/state and /metrics', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    const ticks = Array.from({ length: 240 }, (_, i) => ({ market: `psg-om/m${i % 4}`, price: i % 2 ? 2.02 : 2, ts: seconds - 60 + Math.floor(i / 4), scope: 'psg-om' }));
    const answer = (await postJson(`${served.base}/v1/ticks`, JSON.stringify({ ticks }))).json() as unknown as TickBatchAnswer;
    expect(answer).toMatchObject({ accepted: 0, rejected: 240, byReason: { stale_ts: 240 } });
    expect(answer.rejections[0]).toEqual({ index: 0, reason: 'stale_ts', rule: 'reject' });
    const state = (await httpRequest(`${served.base}/v1/state`)).json() as { vix: { ticks: { byReason: Record<string, number> } } };
    expect(state.vix.ticks.byReason.stale_ts).toBe(240);
    expect((await httpRequest(`${served.base}/metrics`)).text).toMatch(/^vix_ttl_vix_ticks_total\{result="stale_ts"\} 240$/m);
  });

  it('the junk-scope attack (500 scopes of 142 past-dated ticks): only the present ticks are taken, no junk scope warms or panics, nothing is written to Redis, and a new real scope is taken', async () => {
    const now = Date.now();
    const ticks = Array.from({ length: 500 }, (_, s) => junkScope(`j${s}`, now)).flat();
    let accepted = 0;
    let stale = 0;
    for (let i = 0; i < ticks.length; i += 5000) {
      const answer = (await postJson(`${served.base}/v1/ticks`, JSON.stringify({ ticks: ticks.slice(i, i + 5000) }))).json() as unknown as TickBatchAnswer;
      accepted += answer.accepted;
      stale += answer.byReason.stale_ts ?? 0;
    }
    expect({ accepted, stale }).toEqual({ accepted: 500, stale: 500 * 141 });
    const local = served.service.vix as LocalVix;
    await local.publisher!.refresh();
    expect(local.engine.snapshots().filter((s) => s.warm || s.status !== 'calm')).toEqual([]);
    expect(local.engine.stats()).toMatchObject({ scopes: 101, evictedScopes: 400, byReason: { too_many_scopes: 0 } });
    expect(await served.client.keys('brain:panic_start_ts*')).toEqual([]);
    const real = (await postJson(`${served.base}/v1/ticks`, JSON.stringify({ ticks: [{ market: 'real:1x2', price: 2.2, ts: Date.now(), scope: 'real-new-match' }] }))).json();
    expect(real).toMatchObject({ accepted: 1, rejected: 0 });
    expect(local.engine.snapshot('real-new-match')).not.toBeNull();
  });
});

describe('maxTickAgeMs sets how old a tick the service takes', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ clock: new MemoryPanicClock(), maxTickAgeMs: 10 * MINUTE });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
  });
  afterAll(async () => {
    await server?.app.close();
  });

  it('a tick 8 minutes old is taken (the engine’s own lag bound follows), one 11 minutes old is stale_ts', async () => {
    expect((server.vix as LocalVix).engine.options.maxLagMs).toBe(10 * MINUTE);
    const now = Date.now();
    const answer = (await postJson(`${base}/v1/ticks`, JSON.stringify({ ticks: [{ market: 'a', price: 2, ts: now - 8 * MINUTE }, { market: 'b', price: 2, ts: now - 11 * MINUTE }] }))).json();
    expect(answer).toEqual({ accepted: 1, rejected: 1, byReason: { stale_ts: 1 }, rejections: [{ index: 1, reason: 'stale_ts', rule: 'reject' }] });
  });

  it('a bad maxTickAgeMs is refused at construction, naming the option', async () => {
    await expect(createServer({ clock: new MemoryPanicClock(), maxTickAgeMs: 10 })).rejects.toThrow(/maxTickAgeMs/);
  });
});
