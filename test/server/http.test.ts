import fc from 'fast-check';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import type { ServiceStateSnapshot } from '../../src/server/state/service-state.js';
import { checkResponse } from '../support/openapi-conformance.js';
import { httpRequest, postJson, readEvents } from './http-helpers.js';

const TOKEN = 'http-test-admin-token-0123456789';

async function listen(options: Partial<Parameters<typeof createServer>[0]> = {}): Promise<{ server: VixTtlServer; base: string }> {
  const server = await createServer({ clock: new MemoryPanicClock(), adminToken: TOKEN, ...options });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  return { server, base: server.app.listeningOrigin };
}

describe('POST /v1/ttl over a real socket', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => ({ server, base } = await listen()));
  afterAll(async () => server.app.close());

  const valid: Array<[string, object, Record<string, unknown>]> = [
    ['calm: the base TTL', { baseTtl: 60, vixStatus: 'calm' }, { ttl: 60, mode: 'NORMAL', tier: 0 }],
    ['elevated is not a panic', { baseTtl: 45, vixStatus: 'elevated', match: { league: 'Ligue 1' } }, { ttl: 45, tier: 0, importance: 'medium_stakes' }],
    ['a fresh panic is tier 1, TTL 0', { baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' }, { ttl: 0, mode: 'PANIC_FULL', tier: 1, importance: 'medium_stakes', failSafe: false }],
    ['the match type wins over the league', { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 2', matchType: 'final' }, scope: 'cup' }, { tier: 1, importance: 'high_stakes' }],
    ['an explicit importance wins', { baseTtl: 60, vixStatus: 'panic', match: { importance: 'low_stakes' }, scope: 'friendly-1' }, { tier: 1, importance: 'low_stakes' }],
    ['without vixStatus the published status is read', { baseTtl: 60, scope: 'epl' }, { tier: 1, mode: 'PANIC_FULL' }],
    ['base TTL 0 and an empty scope (global)', { baseTtl: 0, vixStatus: 'calm', scope: '' }, { ttl: 0, tier: 0 }],
    ['scope names with : _ . -', { baseTtl: 10, vixStatus: 'calm', scope: 'match:123_a.b-c' }, { ttl: 10 }],
  ];

  it.each(valid)('%s', async (_name, body, expected) => {
    const response = await postJson(`${base}/v1/ttl`, JSON.stringify(body));
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject(expected);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-vix-ttl-worker']).toBe(String(process.pid));
  });

  const long = (n: number, c = 'x') => c.repeat(n);
  // [label, raw body, field named in the error]
  const malformed: Array<[string, string, string]> = [
    ['empty object', '{}', 'baseTtl'],
    ['baseTtl as a string (no coercion)', '{"baseTtl":"60"}', 'baseTtl'],
    ['negative baseTtl', '{"baseTtl":-1}', 'baseTtl'],
    ['null baseTtl', '{"baseTtl":null}', 'baseTtl'],
    ['boolean baseTtl', '{"baseTtl":true}', 'baseTtl'],
    ['array baseTtl', '{"baseTtl":[60]}', 'baseTtl'],
    ['object baseTtl', '{"baseTtl":{"value":60}}', 'baseTtl'],
    ['infinite baseTtl (1e400)', '{"baseTtl":1e400}', 'baseTtl'],
    ['baseTtl over one year', '{"baseTtl":31536001}', 'baseTtl'],
    ['duplicate key, last one wrong', '{"baseTtl":60,"baseTtl":"x"}', 'baseTtl'],
    ['unknown status (case)', '{"baseTtl":60,"vixStatus":"PANIC"}', 'vixStatus'],
    ['unknown status', '{"baseTtl":60,"vixStatus":"meltdown"}', 'vixStatus'],
    ['numeric status', '{"baseTtl":60,"vixStatus":1}', 'vixStatus'],
    ['null status', '{"baseTtl":60,"vixStatus":null}', 'vixStatus'],
    ['match as a string', '{"baseTtl":60,"match":"Premier League"}', 'match'],
    ['null match', '{"baseTtl":60,"match":null}', 'match'],
    ['match as an array', '{"baseTtl":60,"match":[]}', 'match'],
    ['numeric league', '{"baseTtl":60,"match":{"league":42}}', 'match.league'],
    ['oversize league (101 characters)', `{"baseTtl":60,"match":{"league":"${long(101)}"}}`, 'match.league'],
    ['oversize match type', `{"baseTtl":60,"match":{"matchType":"${long(500, 'y')}"}}`, 'match.matchType'],
    ['boolean match type', '{"baseTtl":60,"match":{"matchType":false}}', 'match.matchType'],
    ['unknown importance', '{"baseTtl":60,"match":{"importance":"ultra"}}', 'match.importance'],
    ['importance in the wrong case', '{"baseTtl":60,"match":{"importance":"HIGH_STAKES"}}', 'match.importance'],
    ['null importance', '{"baseTtl":60,"match":{"league":"Ligue 1","importance":null}}', 'match.importance'],
    ['misspelt match field', '{"baseTtl":60,"match":{"leage":"Ligue 1"}}', 'match.leage'],
    ['unknown top-level field', '{"baseTtl":60,"ttl":5}', 'ttl'],
    ['scope with a space', '{"baseTtl":60,"scope":"bad scope"}', 'scope'],
    ['scope of 65 characters', `{"baseTtl":60,"scope":"${long(65, 'a')}"}`, 'scope'],
    ['scope with a slash', '{"baseTtl":60,"scope":"ligue/1"}', 'scope'],
    ['scope with an accent', '{"baseTtl":60,"scope":"é"}', 'scope'],
    ['numeric scope', '{"baseTtl":60,"scope":42}', 'scope'],
    ['__proto__ at the top', '{"baseTtl":60,"__proto__":{"polluted":true}}', '__proto__'],
    ['constructor.prototype at the top', '{"baseTtl":60,"constructor":{"prototype":{"polluted":true}}}', 'constructor.prototype'],
    ['__proto__ inside match', '{"baseTtl":60,"match":{"__proto__":{"importance":"low_stakes"}}}', 'match.__proto__'],
    ['constructor.prototype inside match', '{"baseTtl":60,"match":{"constructor":{"prototype":{}}}}', 'match.constructor.prototype'],
    ['an array body', '[]', 'body'],
    ['a null body', 'null', 'body'],
    ['a string body', '"hello"', 'body'],
    ['a number body', '42', 'body'],
    ['truncated JSON', '{"baseTtl":60,', 'body'],
    ['trailing garbage', '{"baseTtl":60} x', 'body'],
    ['an empty body', '', 'body'],
  ];

  it(`has at least 30 malformed bodies (${malformed.length})`, () => {
    expect(malformed.length).toBeGreaterThanOrEqual(30);
  });

  it.each(malformed)('400 naming the field: %s', async (_name, body, field) => {
    const response = await postJson(`${base}/v1/ttl`, body);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const error = response.json();
    expect(error).toMatchObject({ field });
    expect(['invalid_body', 'invalid_json']).toContain(error.error);
    expect(error.message).toMatch(new RegExp(`^${field.replace(/[.$]/g, '\\$&')} `));
  });

  it('a body over the byte limit is refused with 413 and a JSON error', async () => {
    const response = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, match: { league: long(20_000) } }));
    expect(response.status).toBe(413);
    expect(response.json()).toMatchObject({ error: 'body_too_large', field: 'body' });
  });

  it('a body that is not JSON is refused with 415', async () => {
    const response = await httpRequest(`${base}/v1/ttl`, { method: 'POST', body: 'baseTtl=60', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(415);
    expect(response.json()).toMatchObject({ error: 'unsupported_media_type', field: 'content-type' });
  });

  it('never answers 500, whatever JSON arrives (200 random bodies)', async () => {
    const objects = fc.dictionary(fc.constantFrom('baseTtl', 'vixStatus', 'match', 'scope', 'league', '__proto__', 'x'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), objects), async (value) => {
        const response = await postJson(`${base}/v1/ttl`, JSON.stringify(value) ?? 'null');
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) expect(typeof response.json().field).toBe('string');
      }),
      { numRuns: 200 },
    );
  });

  it('unknown routes answer a JSON 404', async () => {
    const response = await httpRequest(`${base}/v1/nope`);
    expect(response.status).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not_found' });
  });

  it('sends security headers (CSP without inline scripts, nosniff, frame protection)', async () => {
    const response = await httpRequest(`${base}/`);
    expect(response.status).toBe(200);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the dashboard assets and uPlot from node_modules, with ETags', async () => {
    for (const asset of ['dashboard.js', 'dashboard.css', 'uplot.min.js', 'uplot.min.css']) {
      const response = await httpRequest(`${base}/assets/${asset}`);
      expect(response.status, asset).toBe(200);
      const again = await httpRequest(`${base}/assets/${asset}`, { headers: { 'if-none-match': String(response.headers.etag) } });
      expect(again.status).toBe(304);
    }
    expect((await httpRequest(`${base}/assets/..%2Fpackage.json`)).status).toBe(404);
  });
});

describe('admin routes', () => {
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => ({ server, base } = await listen()));
  afterAll(async () => server.app.close());

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-right-token-at-all' }],
    ['the right token with another scheme', { authorization: `Basic ${TOKEN}` }],
    ['a token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('401 with %s', async (_name, headers) => {
    for (const route of ['/v1/admin/panic', '/v1/admin/reset']) {
      const response = await postJson(`${base}${route}`, '{}', headers as Record<string, string>);
      expect(response.status, route).toBe(401);
      expect(response.json()).toMatchObject({ error: 'unauthorized', field: 'authorization' });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('starts a backdated drill panic and resets it with the right token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const started = await postJson(`${base}/v1/admin/panic`, JSON.stringify({ scope: 'ligue-1', ageMinutes: 100 }), auth);
    expect(started.status).toBe(200);
    expect(started.json()).toMatchObject({ scope: 'ligue-1', active: true, ageMinutes: 100 });
    const decision = await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' }, scope: 'ligue-1' }));
    expect(decision.json()).toMatchObject({ tier: 3, ttl: 30, mode: 'DEGRADED' });
    const reset = await postJson(`${base}/v1/admin/reset`, JSON.stringify({ scope: 'ligue-1' }), auth);
    expect(reset.json()).toEqual({ scope: 'ligue-1', ended: true });
    const again = await postJson(`${base}/v1/admin/reset`, JSON.stringify({ scope: 'ligue-1' }), auth);
    expect(again.json()).toEqual({ scope: 'ligue-1', ended: false });
  });

  it('admin bodies are validated too (400 naming the field)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const cases: Array<[string, string]> = [
      ['{"ageMinutes":-5}', 'ageMinutes'],
      ['{"ageMinutes":"100"}', 'ageMinutes'],
      ['{"ageMinutes":100000}', 'ageMinutes'],
      ['{"scope":"no spaces"}', 'scope'],
      ['{"scope":"a","force":true}', 'force'],
    ];
    for (const [body, field] of cases) {
      const response = await postJson(`${base}/v1/admin/panic`, body, auth);
      expect(response.status, body).toBe(400);
      expect(response.json().field).toBe(field);
    }
  });

  it('without a configured token, admin routes are disabled (403)', async () => {
    const { server: closed, base: closedBase } = await listen({ adminToken: null });
    try {
      const response = await postJson(`${closedBase}/v1/admin/panic`, '{}', { authorization: `Bearer ${TOKEN}` });
      expect(response.status).toBe(403);
      expect(response.json()).toMatchObject({ error: 'admin_disabled' });
    } finally {
      await closed.app.close();
    }
  });

  it('refuses an admin token shorter than 16 characters at construction', async () => {
    await expect(createServer({ clock: new MemoryPanicClock(), adminToken: 'short' })).rejects.toThrow(/adminToken.*at least 16/);
  });
});

describe('the API token (VIX_TTL_API_TOKEN): clients cannot write or end a panic without it', () => {
  const API_TOKEN = 'http-test-api-token-0123456789abcdef';
  const clock = new MemoryPanicClock();
  let server: VixTtlServer;
  let base: string;
  beforeAll(async () => ({ server, base } = await listen({ clock, apiToken: API_TOKEN })));
  afterAll(async () => server.app.close());

  const panic = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'guarded' });
  const calm = JSON.stringify({ baseTtl: 60, vixStatus: 'calm', scope: 'guarded' });
  const ticks = JSON.stringify({ ticks: [{ market: 'm1', price: 2.1, ts: Date.now(), scope: 'guarded' }] });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-right-token-at-all' }],
    ['the admin token', { authorization: `Bearer ${TOKEN}` }],
    ['the right token with another scheme', { authorization: `Basic ${API_TOKEN}` }],
    ['a token prefix', { authorization: `Bearer ${API_TOKEN.slice(0, -1)}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('401 on POST /v1/ttl and POST /v1/ticks with %s, in the admin routes’ form', async (_name, headers) => {
    for (const [route, body] of [['/v1/ttl', panic], ['/v1/ticks', ticks]] as const) {
      const response = await postJson(`${base}${route}`, body, headers as Record<string, string>);
      expect(response.status, route).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toMatchObject({ error: 'unauthorized', field: 'authorization' });
      expect(String(response.json().message)).not.toContain(API_TOKEN);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="vix-ttl api"');
    }
    expect((await clock.inspect('guarded')).active).toBe(false); // nothing was written
  });

  it('names the variable to set when the header is missing', async () => {
    const response = await postJson(`${base}/v1/ttl`, panic);
    expect(response.json().message).toBe('authorization must be "Bearer <VIX_TTL_API_TOKEN>"');
  });

  it('a client without the token cannot end a live panic nor feed the engine; with it, both work', async () => {
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    expect((await postJson(`${base}/v1/ttl`, panic, auth)).json()).toMatchObject({ tier: 1, mode: 'PANIC_FULL' });
    const started = await clock.inspect('guarded');
    expect(started.active).toBe(true);

    expect((await postJson(`${base}/v1/ttl`, calm)).status).toBe(401);
    expect(await clock.inspect('guarded')).toMatchObject({ active: true, startedAtMs: started.startedAtMs });
    expect((await postJson(`${base}/v1/ticks`, ticks)).status).toBe(401);
    expect(server.vix!.view()!.ticks.accepted).toBe(0);

    expect((await postJson(`${base}/v1/ticks`, ticks, auth)).json()).toMatchObject({ accepted: 1 });
    expect((await postJson(`${base}/v1/ttl`, calm, auth)).json()).toMatchObject({ tier: 0, mode: 'NORMAL' });
    expect((await clock.inspect('guarded')).active).toBe(false);
  });

  it('the token is checked before the body is read: headers alone get the 401', async () => {
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/v1/ticks`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': '1000000' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            checkResponse({ method: 'POST', url: `${base}/v1/ticks`, status: res.statusCode ?? 0, headers: res.headers, body });
          } catch (error) {
            reject(error as Error);
          }
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', (error) => (error.message.includes('socket hang up') || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
      req.flushHeaders(); // the promised megabyte never comes
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'unauthorized', field: 'authorization' });
  });

  it('the read-only routes and the dashboard stay open', async () => {
    for (const route of ['/', '/assets/dashboard.js', '/v1/state', '/metrics', '/healthz', '/readyz']) {
      expect((await httpRequest(`${base}${route}`)).status, route).toBe(200);
    }
    const events = readEvents(base, () => true);
    expect((await events.opened).status).toBe(200);
    await events.finished;
  });

  it('refuses an API token shorter than 16 characters at construction', async () => {
    await expect(createServer({ clock: new MemoryPanicClock(), apiToken: 'short' })).rejects.toThrow(/apiToken.*at least 16/);
  });
});

describe('state, events, health and metrics', () => {
  let server: VixTtlServer;
  let base: string;
  let now = Date.parse('2026-05-01T20:00:00Z');
  beforeAll(async () => ({ server, base } = await listen({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, maxTrackedScopes: 3 })));
  afterAll(async () => server.app.close());

  it('GET /v1/state gives each scope its panic and the tier per importance', async () => {
    await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'epl', match: { league: 'Premier League' } }));
    now += 100 * 60_000;
    const state = (await httpRequest(`${base}/v1/state`)).json() as unknown as ServiceStateSnapshot;
    const epl = state.scopes.find((s) => s.scope === 'epl')!;
    expect(epl.panic).toMatchObject({ active: true, durationMs: 6_000_000 });
    expect(epl.tiers).toMatchObject({ high_stakes: { tier: 2, ttl: 5, nextTierInMin: 80 }, medium_stakes: { tier: 3, ttl: 30, nextTierInMin: 80 }, low_stakes: { tier: 4, ttl: 45, nextTierInMin: null } });
    expect(epl.decisions).toBe(1);
    expect(epl.vix).toBeNull();
    expect(state.scopes[0]!.scope).toBe('global');
    expect(state.alert).toMatchObject({ active: true, tier: 4 });
    expect(state.clock).toMatchObject({ kind: 'memory', timeScale: 1, accelerated: false });
  });

  it('GET /v1/events streams the state as server-sent events and forgets a client that leaves', async () => {
    const stream = readEvents(base, (events) => events.some((e) => e.event === 'state'));
    const { headers } = await stream.opened;
    await stream.finished;
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(String(headers['content-security-policy'])).toContain("connect-src 'self'");
    expect(stream.text()).toMatch(/^retry: 3000\n\n/);
    const state = stream.events.find((e) => e.event === 'state')!.data as { scopes: unknown[] };
    expect(state.scopes.length).toBeGreaterThan(0);
    await expect.poll(() => server.events.clients).toBe(0);
  });

  it('GET /healthz is 200 and GET /readyz is 200 with a memory clock', async () => {
    expect((await httpRequest(`${base}/healthz`)).json()).toMatchObject({ status: 'ok' });
    const ready = await httpRequest(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: { kind: 'memory', up: true } });
  });

  it('GET /metrics counts decisions by mode, tier and importance and bounds the scope labels', async () => {
    for (const scope of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'calm', scope }));
    }
    const text = (await httpRequest(`${base}/metrics`)).text;
    expect(text).toMatch(/^vix_ttl_decisions_total\{mode="NORMAL",tier="0",importance="medium_stakes"\} 6$/m);
    expect(text).toMatch(/^vix_ttl_decisions_total\{mode="PANIC_FULL",tier="1",importance="medium_stakes"\} 1$/m);
    expect(text).toMatch(/^vix_ttl_store_up 1$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    const scopes = new Set([...text.matchAll(/^vix_ttl_current_tier\{scope="([^"]+)"/gm)].map((m) => m[1]));
    expect(scopes.size).toBeLessThanOrEqual(4);
    expect(scopes.has('global')).toBe(true);
    expect(scopes.has('f')).toBe(true);
    expect(scopes.has('a')).toBe(false);
  });
});
