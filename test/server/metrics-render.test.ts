import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError, MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer, type VixTtlServerOptions } from '../../src/server/http/create-server.js';
import { SharedRender } from '../../src/server/http/shared-render.js';
import { httpRequest, postJson } from './http-helpers.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const DECISION = JSON.stringify({ baseTtl: 60, vixStatus: 'calm' });

function decisions(text: string): number {
  return [...text.matchAll(/^vix_ttl_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('GET /metrics: one render shared by concurrent scrapes and reused for metricsMaxAgeMs; an optional token', () => {
  let server: VixTtlServer | undefined;

  afterEach(async () => {
    await server?.app.close();
    server = undefined;
  });

  async function start(options: Partial<VixTtlServerOptions>): Promise<string> {
    server = await createServer({ clock: new MemoryPanicClock(), vixSource: null, ...options });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    return server.app.listeningOrigin;
  }

  it('a scrape within metricsMaxAgeMs of a render gets that render: decisions taken since are not in it (a flood of scrapes renders once)', async () => {
    const base = await start({ metricsMaxAgeMs: 60_000 });
    await postJson(`${base}/v1/ttl`, DECISION);
    const first = await httpRequest(`${base}/metrics`);
    expect(first.status).toBe(200);
    expect(decisions(first.text)).toBe(1);
    await postJson(`${base}/v1/ttl`, DECISION);
    const scrapes = await Promise.all(Array.from({ length: 32 }, () => httpRequest(`${base}/metrics`)));
    for (const scrape of scrapes) expect(scrape.text).toBe(first.text);
  });

  it('metricsMaxAgeMs 0: a later scrape renders again', async () => {
    const base = await start({ metricsMaxAgeMs: 0 });
    await postJson(`${base}/v1/ttl`, DECISION);
    const first = await httpRequest(`${base}/metrics`);
    await postJson(`${base}/v1/ttl`, DECISION);
    const second = await httpRequest(`${base}/metrics`);
    expect(decisions(first.text)).toBe(1);
    expect(decisions(second.text)).toBe(2); // without reuse, a later scrape renders again
  });

  it('the default reuse is 1 s: what a scrape shows is at most that old', async () => {
    const base = await start({});
    await postJson(`${base}/v1/ttl`, DECISION);
    expect(decisions((await httpRequest(`${base}/metrics`)).text)).toBe(1);
    await postJson(`${base}/v1/ttl`, DECISION);
    const deadline = Date.now() + 10_000;
    let seen = 1;
    while (seen < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = decisions((await httpRequest(`${base}/metrics`)).text);
    }
    expect(seen).toBe(2);
  });

  it('with metricsToken, /metrics needs Authorization: Bearer <VIX_TTL_METRICS_TOKEN> (401 before any render), the other tokens do not open it', async () => {
    const admin = 'admin-token-0123456789abcdef';
    const base = await start({ metricsToken: METRICS_TOKEN, adminToken: admin });
    const open = await httpRequest(`${base}/metrics`);
    expect(open.status).toBe(401);
    expect(open.headers['www-authenticate']).toBe('Bearer realm="vix-ttl metrics"');
    expect(open.json()).toMatchObject({ error: 'unauthorized', field: 'authorization' });
    expect((await httpRequest(`${base}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(401);
    const scraped = await httpRequest(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toMatch(/^vix_ttl_store_up 1$/m);
    expect((await httpRequest(`${base}/healthz`)).status).toBe(200); // health routes stay open
  });

  it('refuses a metrics token equal to another token, and an API token equal to the admin token, naming the field', async () => {
    const same = 'same-token-0123456789abcdef';
    for (const [options, field] of [
      [{ adminToken: same, apiToken: same }, 'createServer.apiToken'],
      [{ apiToken: same, metricsToken: same }, 'createServer.metricsToken'],
      [{ adminToken: same, metricsToken: same }, 'createServer.metricsToken'],
    ] as const) {
      const error = await createServer({ clock: new MemoryPanicClock(), vixSource: null, ...options }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).field).toBe(field);
      expect((error as Error).message).not.toContain(same);
    }
  });
});

describe('SharedRender', () => {
  it('callers that arrive while a render is under way share it; a render is reused for maxAgeMs after it began, then redone', async () => {
    let now = 0;
    let renders = 0;
    let finish: (text: string) => void = () => {};
    const shared = new SharedRender(() => new Promise<string>((resolve) => ((renders += 1), (finish = resolve))), 1000, () => now);
    const waiting = Array.from({ length: 50 }, () => shared.get());
    await new Promise((r) => setImmediate(r));
    expect(renders).toBe(1);
    finish('first');
    expect(await Promise.all(waiting)).toEqual(Array(50).fill('first'));
    now = 999;
    expect(await shared.get()).toBe('first');
    expect(renders).toBe(1);
    now = 1000;
    const again = shared.get();
    await new Promise((r) => setImmediate(r));
    finish('second');
    expect(await again).toBe('second');
    expect(renders).toBe(2);
  });

  it('a failed render is not kept: the next caller renders again', async () => {
    let calls = 0;
    const shared = new SharedRender(async () => {
      calls += 1;
      if (calls === 1) throw new Error('collect failed');
      return 'ok';
    }, 60_000);
    await expect(shared.get()).rejects.toThrow('collect failed');
    expect(await shared.get()).toBe('ok');
    expect(calls).toBe(2);
  });
});
