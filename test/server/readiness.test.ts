import { describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import { createServer } from '../../src/server/http/create-server.js';
import { RedisServer } from '../support/redis-server.js';
import { useServiceOnRedis } from '../support/use-service-on-redis.js';
import { eventually, httpRequest, postJson } from './http-helpers.js';

describe('/readyz follows a real redis-server', () => {
  // The store timeouts are not the subject (ready or not is): generous, so a loaded machine still answers 200.
  // A ping is bounded by the clock's own timeout as well as by readyTimeoutMs, so both are seconds.
  const served = useServiceOnRedis({ clockTimeoutMs: 2000, timeoutMs: 50, syncIntervalMs: 0, readyTimeoutMs: 3000, metricsMaxAgeMs: 0 });

  it('is 200 while Redis answers', async () => {
    const ready = await httpRequest(`${served.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: { kind: 'redis', up: true, error: null } });
  });

  it('is 503 while redis-server is SIGSTOPped, decisions fail safe instead of failing, and it is 200 again after SIGCONT', async () => {
    await postJson(`${served.base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'epl' }));
    served.server.pause();
    try {
      const unready = await httpRequest(`${served.base}/readyz`);
      expect(unready.status).toBe(503);
      expect(unready.json()).toMatchObject({ status: 'unready', store: { kind: 'redis', up: false } });
      expect(['store_timeout', 'store_busy']).toContain((unready.json().store as { error: string }).error);

      const decision = await postJson(`${served.base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'epl' }));
      expect(decision.status).toBe(200);
      expect(decision.json()).toMatchObject({ ttl: 0, tier: 1, failSafe: true });

      const state = await httpRequest(`${served.base}/v1/state`);
      expect(state.status).toBe(200);
      const epl = (state.json().scopes as Array<{ scope: string; error: string | null; tiers: unknown; failSafe: { active: boolean } }>).find((s) => s.scope === 'epl')!;
      expect(epl.error).not.toBeNull();
      expect(epl.tiers).toBeNull();
      expect(epl.failSafe.active).toBe(true);

      const metrics = (await httpRequest(`${served.base}/metrics`)).text;
      expect(metrics).toMatch(/^vix_ttl_store_up 0$/m);
      expect(metrics).toMatch(/^vix_ttl_fail_safe_total\{reason="store_(timeout|busy)"\} [1-9]/m);
      expect(metrics).toMatch(/^vix_ttl_store_latency_seconds_count\{kind="ping",outcome="(timeout|busy)"\} [1-9]/m);
    } finally {
      served.server.resume();
    }
    await eventually(async () => (await httpRequest(`${served.base}/readyz`)).status === 200, 15_000, '/readyz 200 after SIGCONT');
    expect((await httpRequest(`${served.base}/metrics`)).text).toMatch(/^vix_ttl_store_up 1$/m);
  });
});

describe('shutdown drains the requests in flight', () => {
  it('app.close() stops accepting at once, lets a request that waits on a paused Redis finish, then resolves', async () => {
    const redis = await RedisServer.start();
    const server = await createServer({ clock: new RedisPanicClock(redis.client(), { timeoutMs: 1500 }), timeoutMs: 1500, syncIntervalMs: 0 });
    let handling = 0;
    const reachedHandler: Array<() => void> = [];
    server.app.addHook('preHandler', async () => {
      handling += 1;
      reachedHandler.splice(0).forEach((resolve) => resolve());
    });
    try {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const base = server.app.listeningOrigin;
      await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic' }));
      redis.pause();
      const before = handling;
      const inHandler = new Promise<void>((resolve) => reachedHandler.push(resolve));
      const inFlight = postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic' }));
      await inHandler; // the request is in flight (waiting on the paused Redis) before close() is called
      expect(handling).toBe(before + 1);
      let closedAt = 0;
      const closing = server.app.close().then(() => (closedAt = Date.now()));
      await new Promise((r) => setTimeout(r, 50));
      await expect(httpRequest(`${base}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
      const response = await inFlight;
      const answeredAt = Date.now();
      expect(response.status).toBe(200);
      expect(response.json()).toMatchObject({ ttl: 0, failSafe: true, reason: 'store_timeout' });
      await closing;
      expect(closedAt).toBeGreaterThanOrEqual(answeredAt - 5);
    } finally {
      redis.resume();
      await server.app.close();
      await redis.stop();
    }
  });
});
