import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

const TOKEN = 'admin-token-0123456789abcdef';
const STALL_MS = 400;

describe('an admin call waits for Redis as long as adminTimeoutMs, not the decisions’ 50 ms (a real serve process)', () => {
  let redis: RedisServer;
  let service: ServeProcess;
  let base: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = serve(['--redis', redis.url, '--port', String(port)], { VIX_TTL_ADMIN_TOKEN: TOKEN });
    await eventually(async () => (await httpRequest(`${base}/readyz`).catch(() => ({ status: 0 }))).status === 200, 30_000, 'serve ready');
  }, 60_000);

  afterAll(async () => {
    if (service.child.pid && alive(service.child.pid)) service.child.kill('SIGKILL');
    await redis.stop();
  });

  const post = (path: string, body: object, token?: string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

  it(`with redis-server stalled ${STALL_MS} ms, a decision fails safe while POST /v1/admin/reset waits and ends the panic`, async () => {
    const admin = redis.client();
    await admin.set('brain:panic_start_ts:drill', String(Date.now() / 1000 - 600));
    redis.pause();
    const resumed = new Promise<void>((resolve) => setTimeout(() => (redis.resume(), resolve()), STALL_MS));
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
