import { describe, expect, it } from 'vitest';
import { useRedisServer } from '../support/use-redis-server.js';
import { cli } from './run-cli.js';

describe('vix-ttl status and reset against a real redis-server', () => {
  const db = useRedisServer();

  it('status shows a panic, its tiers per importance, and reset ends it', async () => {
    const redis = db.server.client();
    const [seconds] = await redis.time();
    await redis.set('brain:panic_start_ts:ucl', String(Number(seconds) - 100 * 60), 'EX', 86_400);
    const status = await cli(['status', '--redis', db.server.url, '--scope', 'ucl', '--json']);
    expect(status.code).toBe(0);
    const view = JSON.parse(status.out);
    expect(view).toMatchObject({ scope: 'ucl', active: true });
    expect(view.decisions.map((d: { tier: number }) => d.tier)).toEqual([2, 3, 4]);
    const table = await cli(['status', '--scope', 'ucl'], {});
    expect(table.code).toBe(2);
    const readable = await cli(['status', '--redis', db.server.url, '--scope', 'ucl']);
    expect(readable.out).toContain('PANIC');
    expect(readable.out).toMatch(/medium_stakes\s+DEGRADED\s+3/);
    const reset = await cli(['reset', '--redis', db.server.url, '--scope', 'ucl', '--json']);
    expect(JSON.parse(reset.out)).toMatchObject({ scope: 'ucl', ended: true });
    expect(await redis.exists('brain:panic_start_ts:ucl')).toBe(0);
    expect((await cli(['reset', '--redis', db.server.url, '--scope', 'ucl'])).out).toContain('no panic to end');
  });

  it('status says when a start has no expiry (an operator\'s SET): the next observation gives it the dead man\'s switch', async () => {
    const redis = db.server.client();
    const [seconds] = await redis.time();
    await redis.set('brain:panic_start_ts:bare', String(Number(seconds) - 60));
    const readable = await cli(['status', '--redis', db.server.url, '--scope', 'bare']);
    expect(readable.code).toBe(0);
    expect(readable.out).toContain('PANIC');
    expect(readable.out).toContain('no expiry');
    expect(await redis.ttl('brain:panic_start_ts:bare')).toBe(-1); // status only looks
    await redis.expire('brain:panic_start_ts:bare', 600);
    expect((await cli(['status', '--redis', db.server.url, '--scope', 'bare'])).out).toMatch(/expires in \d+ s/);
    redis.disconnect();
  });

  it('REDIS_URL is read from the environment', async () => {
    expect((await cli(['status'], { REDIS_URL: db.server.url })).code).toBe(0);
    expect((await cli(['reset'], { REDIS_URL: db.server.url })).code).toBe(0);
  });
});
