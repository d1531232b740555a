import { describe, expect, it } from 'vitest';
import { useServeOnRedis } from '../support/use-serve-on-redis.js';

const TOKEN = 'admin-token-0123456789abcdef';
const STALL_MS = 400;

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
