import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceConfig, SERVE_SPEC } from '../../src/cli/commands/serve.js';
import { CliUsageError } from '../../src/cli/cli-error.js';
import { loadConfigFile } from '../../src/cli/config-file.js';
import { parseFlags } from '../../src/cli/parse-flags.js';
import { RedisPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/index.js';
import type { ServiceStateSnapshot } from '../../src/server/state/service-state.js';
import { RedisServer, freePort } from '../support/redis-server.js';
import { httpRequest, postJson } from './http-helpers.js';
import { serve, type ServeProcess } from './serve-process.js';

const ADMIN = 'admin-token-0123456789abcdef';
const T0 = Date.UTC(2026, 5, 14, 20, 0, 0);

/** The value of one sample of a scrape, or undefined when the series is absent. */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the service in shadow mode, on a real redis-server', () => {
  let redis: RedisServer;
  let server: VixTtlServer;
  let live: VixTtlServer;
  let now = T0;
  let base: string;
  let liveBase: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // Store timeouts are not the subject except in the fail-safe case, which pauses Redis: 200 ms.
    const options = { timeoutMs: 200, syncIntervalMs: 0, adminToken: ADMIN, defaultMetrics: false, now: () => now, vixSource: null, metricsMaxAgeMs: 0 } as const;
    server = await createServer({ ...options, clock: new RedisPanicClock(redis.client(), { timeoutMs: 200 }), shadow: true });
    live = await createServer({ ...options, clock: new RedisPanicClock(redis.client(), { timeoutMs: 200 }) });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    await live.app.listen({ port: 0, host: '127.0.0.1' });
    base = server.app.listeningOrigin;
    liveBase = live.app.listeningOrigin;
  });

  afterAll(async () => {
    await server.app.close();
    await live.app.close();
    await redis.stop();
  });

  const decide = async (origin: string, body: object) => {
    const answer = await postJson(`${origin}/v1/ttl`, JSON.stringify(body));
    expect(answer.status).toBe(200);
    return answer.json();
  };
  const scrape = async (origin = base) => (await httpRequest(`${origin}/metrics`)).text;

  it('POST /v1/ttl answers the base TTL with the live decision as shadow, through calm, a panic and a drill at tier 3', async () => {
    const calm = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Premier League' }, scope: 'epl' };
    const panic = { ...calm, vixStatus: 'panic' };
    expect(await decide(base, calm)).toEqual({ ttl: 60, mode: 'NORMAL', tier: 0, importance: 'medium_stakes', panicDurationMin: null, nextTierInMin: null, failSafe: false, shadow: { ttl: 60, mode: 'NORMAL', tier: 0, importance: 'medium_stakes', panicDurationMin: null, nextTierInMin: null, failSafe: false } });
    const answer = await decide(base, panic);
    const liveAnswer = await decide(liveBase, panic); // the same shared start on Redis
    expect(answer).toMatchObject({ ttl: 60, mode: 'NORMAL', tier: 0, panicDurationMin: null, failSafe: false, shadow: { ttl: 0, mode: 'PANIC_FULL', tier: 1, failSafe: false } });
    expect(liveAnswer).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1 });
    expect(liveAnswer).not.toHaveProperty('shadow');
    const drill = await postJson(`${base}/v1/admin/panic`, JSON.stringify({ scope: 'epl', ageMinutes: 100 }), { authorization: `Bearer ${ADMIN}` });
    expect(drill.status).toBe(200);
    expect(await decide(base, panic)).toMatchObject({ ttl: 60, tier: 0, shadow: { ttl: 30, mode: 'DEGRADED', tier: 3 } });
    expect(await decide(liveBase, panic)).toMatchObject({ ttl: 30, tier: 3 });
    expect(await decide(base, calm)).toMatchObject({ ttl: 60, tier: 0, shadow: { tier: 0, ttl: 60 } });
  });

  it('fail-safe: with Redis paused the answer is still the base TTL, the shadow says failSafe store_timeout', async () => {
    redis.pause();
    try {
      const answer = await decide(base, { baseTtl: 30, vixStatus: 'panic', scope: 'paused' });
      expect(answer).toMatchObject({ ttl: 30, mode: 'NORMAL', tier: 0, failSafe: false, shadow: { ttl: 0, tier: 1, failSafe: true, reason: 'store_timeout' } });
      expect(answer).not.toHaveProperty('reason');
    } finally {
      redis.resume();
    }
  });

  it('a body cannot set shadow, on or off: a 400 naming the field, on a shadow service and a live one', async () => {
    for (const origin of [base, liveBase]) {
      for (const shadow of [false, true, { ttl: 0, mode: 'PANIC_FULL', tier: 1 }, null]) {
        const answer = await postJson(`${origin}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', shadow }));
        expect(answer.status).toBe(400);
        expect(answer.json()).toMatchObject({ error: 'invalid_body', field: 'shadow' });
      }
      const nested = await postJson(`${origin}/v1/ttl`, JSON.stringify({ baseTtl: 60, match: { league: 'x', shadow: true } }));
      expect(nested.json()).toMatchObject({ error: 'invalid_body', field: 'match.shadow' });
    }
    // A query string is not read either: the shadow service still answers the base TTL, the live one the decision.
    expect((await postJson(`${base}/v1/ttl?shadow=false`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'q' }))).json()).toMatchObject({ ttl: 60, shadow: { ttl: 0 } });
    expect((await postJson(`${liveBase}/v1/ttl?shadow=true`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'q' }))).json()).toMatchObject({ ttl: 0 });
  });

  it('GET /metrics: vix_ttl_shadow_mode, and how often, by how much and how long the shadow decision differed (time on the service clock)', async () => {
    const body = { baseTtl: 60, vixStatus: 'panic', match: { importance: 'low_stakes' }, scope: 'metrics' };
    const before = await scrape();
    const series = (name: string) => `${name}{importance="low_stakes",tier="1",outcome="fresher"}`;
    const was = (name: string) => sample(before, series(name)) ?? 0;
    for (let i = 0; i < 5; i += 1) await decide(base, body); // a burst: five decisions at one instant
    now += 40_000; // forty seconds later, nobody asked again: the callers' copies (60 s) are still being served
    const after = await scrape();
    expect(sample(after, 'vix_ttl_shadow_mode')).toBe(1);
    expect(sample(after, series('vix_ttl_shadow_decisions_total'))! - was('vix_ttl_shadow_decisions_total')).toBe(5);
    expect(sample(after, series('vix_ttl_shadow_ttl_difference_seconds_total'))! - was('vix_ttl_shadow_ttl_difference_seconds_total')).toBe(5 * 60);
    expect(sample(after, series('vix_ttl_shadow_served_seconds_total'))! - was('vix_ttl_shadow_served_seconds_total')).toBeCloseTo(40, 6);
    now += 60_000; // past the base TTL: the time stops at 60 s
    expect(sample(await scrape(), series('vix_ttl_shadow_served_seconds_total'))! - was('vix_ttl_shadow_served_seconds_total')).toBeCloseTo(60, 6);
    // Measured as usual: the decisions counter counts the decision taken (tier 1), not the base TTL served.
    expect(sample(after, 'vix_ttl_decisions_total{mode="PANIC_FULL",tier="1",importance="low_stakes"}')).toBeGreaterThanOrEqual(5);
    expect(sample(after, 'vix_ttl_fail_safe_total{reason="store_timeout"}')).toBe(1);
  });

  it('GET /v1/state says shadow mode: what callers are served (the base TTL) next to the tier vix-ttl decides, and what shadow would have changed so far (time on the service clock)', async () => {
    const body = { baseTtl: 60, vixStatus: 'panic', match: { importance: 'high_stakes' }, scope: 'state' };
    expect(await decide(base, body)).toMatchObject({ ttl: 60, tier: 0, shadow: { ttl: 0, tier: 1 } });
    now += 30_000; // the caller's copy (60 s) has been served for 30 s where vix-ttl would have served fresh data
    const state = (await httpRequest(`${base}/v1/state`)).json() as unknown as ServiceStateSnapshot; // checked against the OpenAPI document, as every answer here
    expect(state.shadow).toMatchObject({ active: true, served: { ttl: state.displayBaseTtl, mode: 'NORMAL', tier: 0 } });
    expect(state.shadow.byImportance?.high_stakes).toEqual({ decisions: 1, fresherDecisions: 1, fresherMinutes: 0.5, freshMinutes: 0.5 });
    // The tiers shown are the decision taken, not what was served.
    expect(state.scopes.find((s) => s.scope === 'state')?.tiers?.high_stakes).toMatchObject({ tier: 1, ttl: 0 });
  });

  it('GET /v1/state on a live service: shadow off, nothing served instead of the tiers shown', async () => {
    expect((await httpRequest(`${liveBase}/v1/state`)).json().shadow).toEqual({ active: false, served: null, byImportance: null });
  });

  it('a live service has vix_ttl_shadow_mode 0 and no shadow series', async () => {
    const text = await scrape(liveBase);
    expect(sample(text, 'vix_ttl_shadow_mode')).toBe(0);
    expect(text).toMatch(/^# TYPE vix_ttl_shadow_served_seconds_total counter$/m);
    expect(text).not.toMatch(/^vix_ttl_shadow_(decisions|served_seconds|ttl_difference_seconds)_total\{/m);
  });
});

describe('serve --shadow, VIX_TTL_SHADOW and breaker.shadow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vix-shadow-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (shadow: boolean) => {
    const path = join(dir, `shadow-${shadow}.json`);
    writeFileSync(path, JSON.stringify({ breaker: { shadow } }));
    return loadConfigFile(path);
  };
  const config = (args: string[], env: NodeJS.ProcessEnv = {}, withFile?: boolean) => serviceConfig(parseFlags(SERVE_SPEC, args), env, withFile === undefined ? undefined : file(withFile)).shadow;

  it('off by default; on with the flag; the variable beats the file; the flag beats both', () => {
    expect(config([])).toBe(false);
    expect(config(['--shadow'])).toBe(true);
    expect(config([], {}, true)).toBe(true);
    expect(config([], { VIX_TTL_SHADOW: 'false' }, true)).toBe(false);
    expect(config([], { VIX_TTL_SHADOW: '0' }, true)).toBe(false);
    expect(config([], { VIX_TTL_SHADOW: 'true' }, false)).toBe(true);
    expect(config([], { VIX_TTL_SHADOW: '1' })).toBe(true);
    expect(config(['--shadow'], { VIX_TTL_SHADOW: 'false' }, false)).toBe(true);
  });

  it('a bad value is one line naming the variable or the key', () => {
    expect(() => config([], { VIX_TTL_SHADOW: 'yes' })).toThrow(CliUsageError);
    expect(() => config([], { VIX_TTL_SHADOW: 'yes' })).toThrow('VIX_TTL_SHADOW must be true or false (or 1 or 0), got "yes"');
    // Set but empty is not "unset": a rollback to shadow mode written VIX_TTL_SHADOW= must not silently go live.
    expect(() => config([], { VIX_TTL_SHADOW: '' }, true)).toThrow('VIX_TTL_SHADOW is set but empty: unset it for the default, or give it a value (true or false)');
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ breaker: { shadow: 'yes' } }));
    expect(() => loadConfigFile(path)).toThrow(/breaker\.shadow/);
    expect(() => parseFlags(SERVE_SPEC, ['--shadow=false'])).toThrow('--shadow takes no value');
  });

  describe('a real vix-ttl serve process', () => {
    let redis: RedisServer;
    const processes: ServeProcess[] = [];
    beforeAll(async () => {
      redis = await RedisServer.start();
    });
    afterAll(async () => {
      for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await redis.stop();
    });

    it.each([
      ['--shadow', ['--shadow'], {}, true],
      ['breaker.shadow in the config file', ['--config', 'FILE'], {}, true],
      ['VIX_TTL_SHADOW=false over a file that says true (a rollback to live)', ['--config', 'FILE'], { VIX_TTL_SHADOW: 'false' }, false],
    ] as const)('%s', async (_name, args, env, shadow) => {
      const path = join(dir, 'serve.json');
      writeFileSync(path, JSON.stringify({ breaker: { shadow: true } }));
      const port = await freePort();
      const service = serve([...args.map((a) => (a === 'FILE' ? path : a)), '--redis', redis.url, '--port', String(port)], env);
      processes.push(service);
      const listening = await service.waitFor('VIX_TTL_LISTENING');
      expect(Boolean(listening.shadow)).toBe(shadow);
      const answer = (await postJson(`http://127.0.0.1:${port}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: `serve-${port}` }))).json();
      expect(answer).toMatchObject(shadow ? { ttl: 60, tier: 0, shadow: { ttl: 0, tier: 1 } } : { ttl: 0, tier: 1 });
      expect(sample((await httpRequest(`http://127.0.0.1:${port}/metrics`)).text, 'vix_ttl_shadow_mode')).toBe(shadow ? 1 : 0);
      expect(((await httpRequest(`http://127.0.0.1:${port}/v1/state`)).json() as unknown as ServiceStateSnapshot).shadow.active).toBe(shadow);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    });
  });
});
