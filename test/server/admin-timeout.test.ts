import { afterEach, describe, expect, it } from 'vitest';
import { RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { useRedisServer } from '../support/use-redis-server.js';
import { useServeOnRedis } from '../support/use-serve-on-redis.js';
import { httpRequest } from './http-helpers.js';

const TOKEN = 'admin-token-0123456789abcdef';
const STALL_MS = 400;
const LONG_STALL_MS = 6500;

describe('an admin call waits for Redis as long as adminTimeoutMs, not the decisions’ 50 ms (a real serve process)', () => {
  const served = useServeOnRedis({ env: { VIX_TTL_ADMIN_TOKEN: TOKEN } });

  const post = (path: string, body: object, token?: string) =>
    fetch(`${served.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

  it(`with redis-server stalled ${STALL_MS} ms, a decision fails safe while POST /v1/admin/reset waits and ends the panic`, async () => {
    const admin = served.server.client();
    await admin.set('brain:panic_start_ts:drill', String(Date.now() / 1000 - 600));
    served.server.pause();
    const resumed = new Promise<void>((resolve) => setTimeout(() => (served.server.resume(), resolve()), STALL_MS));
    try {
      const [decision, reset] = await Promise.all([post('/v1/ttl', { baseTtl: 60, vixStatus: 'panic', scope: 'other' }), post('/v1/admin/reset', { scope: 'drill' }, TOKEN)]);
      expect(await decision.json()).toMatchObject({ ttl: 0, failSafe: true });
      expect(reset.status, await reset.clone().text()).toBe(200);
      expect(await reset.json()).toEqual({ scope: 'drill', ended: true });
    } finally {
      await resumed;
    }
    expect(await admin.exists('brain:panic_start_ts:drill')).toBe(0);
  });
});

describe('a call waiting on a stalled Redis within its own timeout keeps its connection, whatever requestTimeoutMs (a real server, real sockets)', () => {
  const redis = useRedisServer();
  let server: VixTtlServer | undefined;

  afterEach(async () => {
    await server?.app.close();
    server = undefined;
  });

  it(`an admin call (adminTimeoutMs 8 s) and a decision (timeoutMs 8 s) waiting ${LONG_STALL_MS / 1000} s on a paused redis-server get their answers, with requestTimeoutMs 1 s`, async () => {
    const client = redis.server.client();
    await redis.client.set('brain:panic_start_ts:drill', String(Date.now() / 1000 - 600));
    server = await createServer({
      clock: new RedisPanicClock(client, { timeoutMs: 8000 }),
      adminClock: new RedisPanicClock(client, { timeoutMs: 8000 }),
      timeoutMs: 8000,
      adminTimeoutMs: 8000,
      requestTimeoutMs: 1000, // a connection standing still was closed after max(5 s, 2 x 1 s)
      syncIntervalMs: 0,
      adminToken: TOKEN,
      vixSource: null,
      defaultMetrics: false,
    });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
    redis.server.pause();
    const resumed = new Promise<void>((resolve) => setTimeout(() => (redis.server.resume(), resolve()), LONG_STALL_MS));
    try {
      const json = { 'content-type': 'application/json' };
      const [reset, decision] = await Promise.all([
        httpRequest(`${base}/v1/admin/reset`, { method: 'POST', headers: { ...json, authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ scope: 'drill' }) }).catch((error: Error) => error),
        httpRequest(`${base}/v1/ttl`, { method: 'POST', headers: json, body: JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'other' }) }).catch((error: Error) => error),
      ]);
      // Before: both connections closed unanswered after 5 s standing still ('socket hang up').
      expect(reset instanceof Error ? reset.message : reset.status).toBe(200);
      expect(decision instanceof Error ? decision.message : decision.status).toBe(200);
    } finally {
      await resumed;
    }
    expect(await redis.client.exists('brain:panic_start_ts:drill')).toBe(0);
    await client.quit();
  }, 30_000);
});
