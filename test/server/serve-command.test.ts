import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceConfig, SERVE_SPEC } from '../../src/cli/commands/serve.js';
import type { ConfigFile } from '../../src/cli/config-file.js';
import { parseFlags } from '../../src/cli/parse-flags.js';
import { runCli } from '../../src/cli/main.js';
import { freePort } from '../support/free-port.js';
import { eventually, httpRequest, postJson } from './http-helpers.js';
import { rawExchange } from './raw-socket.js';
import { serve, type ServeProcess } from './serve-process.js';
import { checkResponse } from '../support/openapi-conformance.js';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
  return { code, out, err };
}

describe('vix-ttl serve: bad flags and environment are one line, exit code 2', () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['several workers need Redis', ['--workers', '2'], {}, /--workers 2 needs a shared clock: pass --redis .* \(in-memory clocks cannot agree across processes\)/],
    ['a port out of range', ['--port', '70000'], {}, /--port must be an integer from 0 to 65535, got 70000/],
    ['a port that is not a number', ['--port', '80a'], {}, /--port must be an integer/],
    ['a bad PORT variable', [], { PORT: 'http' }, /PORT must be an integer from 0 to 65535, got "http"/],
    ['zero workers', ['--workers', '0', '--redis', 'redis://127.0.0.1:1'], {}, /--workers must be an integer from 1 to 64/],
    ['a host with a space', ['--host', 'local host'], {}, /--host must be a host name or an IP address/],
    ['a Redis URL of another scheme', ['--redis', 'http://127.0.0.1:6379'], {}, /--redis must use redis:\/\//],
    ['a bad REDIS_URL', [], { REDIS_URL: 'not a url' }, /REDIS_URL must be a URL/],
    ['the demo with Redis', ['--demo', '--redis', 'redis://127.0.0.1:1'], {}, /--demo .* cannot use --redis/],
    ['the demo with workers', ['--demo', '--workers', '2'], {}, /--demo runs in one process/],
    ['a demo speed without the demo', ['--demo-speed', '10'], {}, /--demo-speed only applies with --demo/],
    ['an unknown log level', [], { LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    ['an unknown flag', ['--bogus'], {}, /unknown option '--bogus'/],
    ['a request timeout under 100 ms', ['--request-timeout-ms', '50'], {}, /--request-timeout-ms must be an integer from 100 to 600000, got 50/],
    ['a zero panic-scope limit', ['--max-panic-scopes', '0'], {}, /--max-panic-scopes must be an integer from 1 to 1000000, got 0/],
    ['a panic-scope limit that is not a number', ['--max-panic-scopes', '1e3'], {}, /--max-panic-scopes must be an integer from 1 to 1000000, got "1e3"/],
    ['a tick skew that is not an integer', ['--tick-skew-ms', '1.5'], {}, /--tick-skew-ms must be an integer from 0 to 86400000, got "1.5"/],
    ['zero tick batches at once', ['--max-tick-batches', '0'], {}, /--max-tick-batches must be an integer from 1 to 1000, got 0/],
    ['a tick age past half the engine’s idle time', ['--tick-max-age-ms', '900001'], {}, /--tick-max-age-ms must be an integer from 1000 to 900000, got 900001/],
    ['a warm-up over a day', ['--vix-warmup-ms', '86400001'], {}, /--vix-warmup-ms must be an integer from 0 to 86400000, got 86400001/],
  ];

  it.each(cases)('%s', async (_name, args, env, message) => {
    const { code, err } = await cli(['serve', ...args], env);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('--tick-skew-ms, --max-tick-batches and --max-ticks-per-second reach the configuration (60 s, 1, 100,000 by default)', () => {
    expect(serviceConfig(parseFlags(SERVE_SPEC, []), {})).toMatchObject({ maxTickSkewMs: 60_000, maxTickBatches: 1, maxTicksPerSecond: 100_000 });
    const flags = parseFlags(SERVE_SPEC, ['--tick-skew-ms', '5000', '--max-tick-batches', '4', '--max-ticks-per-second', '5000']);
    expect(serviceConfig(flags, {})).toMatchObject({ maxTickSkewMs: 5000, maxTickBatches: 4, maxTicksPerSecond: 5000 });
  });

  it('--max-worker-restarts and --restart-window-ms (server.maxWorkerRestarts, server.restartWindowMs) reach the configuration (5 in 30 s by default); with one process they are refused', () => {
    const redis = ['--workers', '2', '--redis', 'redis://127.0.0.1:6391'];
    expect(serviceConfig(parseFlags(SERVE_SPEC, redis), {})).toMatchObject({ maxWorkerRestarts: 5, restartWindowMs: 30_000 });
    expect(serviceConfig(parseFlags(SERVE_SPEC, [...redis, '--max-worker-restarts', '0', '--restart-window-ms', '600000']), {})).toMatchObject({ maxWorkerRestarts: 0, restartWindowMs: 600_000 });
    const file = { server: { workers: 3, maxWorkerRestarts: 20, restartWindowMs: 120_000 }, redis: { url: 'redis://127.0.0.1:6391' } } as ConfigFile;
    expect(serviceConfig(parseFlags(SERVE_SPEC, []), {}, file)).toMatchObject({ workers: 3, maxWorkerRestarts: 20, restartWindowMs: 120_000 });
    expect(serviceConfig(parseFlags(SERVE_SPEC, ['--max-worker-restarts', '2']), {}, file)).toMatchObject({ maxWorkerRestarts: 2 });
    for (const flag of ['--max-worker-restarts', '--restart-window-ms']) {
      expect(() => serviceConfig(parseFlags(SERVE_SPEC, [flag, '10000']), {})).toThrow(new RegExp(`^${flag} only applies with --workers 2 or more`));
    }
    expect(() => parseFlags(SERVE_SPEC, ['--restart-window-ms', '999'])).toThrow(/--restart-window-ms/);
  });

  it('--tick-max-age-ms and --vix-warmup-ms reach the configuration (5 min each by default)', () => {
    expect(serviceConfig(parseFlags(SERVE_SPEC, []), {})).toMatchObject({ maxTickAgeMs: 300_000, vix: undefined });
    expect(serviceConfig(parseFlags(SERVE_SPEC, ['--tick-max-age-ms', '60000', '--vix-warmup-ms', '0']), {})).toMatchObject({ maxTickAgeMs: 60_000, vix: { warmupMs: 0 } });
    // The config file sets them too (server.tickMaxAgeMs, vix.warmupMs); a flag wins over the file, and keeps the file's other engine options.
    const file = { server: { tickMaxAgeMs: 120_000 }, vix: { warmupMs: 0, minMarkets: 2 } } as ConfigFile;
    expect(serviceConfig(parseFlags(SERVE_SPEC, []), {}, file)).toMatchObject({ maxTickAgeMs: 120_000, vix: { warmupMs: 0, minMarkets: 2 } });
    expect(serviceConfig(parseFlags(SERVE_SPEC, ['--vix-warmup-ms', '1000', '--tick-max-age-ms', '2000']), {}, file)).toMatchObject({ maxTickAgeMs: 2000, vix: { warmupMs: 1000, minMarkets: 2 } });
  });

  it('a short admin token is refused without being echoed', async () => {
    const { code, err } = await cli(['serve'], { VIX_TTL_ADMIN_TOKEN: 'hunter2' });
    expect(code).toBe(2);
    expect(err).toMatch(/VIX_TTL_ADMIN_TOKEN must be at least 16 characters \(it has 7\)/);
    expect(err).not.toContain('hunter2');
  });

  it('a short API token is refused without being echoed', async () => {
    const { code, err } = await cli(['serve'], { VIX_TTL_API_TOKEN: 'swordfish' });
    expect(code).toBe(2);
    expect(err).toMatch(/VIX_TTL_API_TOKEN must be at least 16 characters \(it has 9\)/);
    expect(err).not.toContain('swordfish');
  });

  it('--help describes serve and the general help lists it', async () => {
    expect((await cli(['serve', '--help'])).out).toMatch(/vix-ttl serve \[--config FILE\] \[--port 8080\] \[--host 127.0.0.1\] \[--redis URL\] \[--workers N\] \[--demo\]/);
    expect((await cli(['help'])).out).toContain('vix-ttl serve');
  });
});

describe('vix-ttl serve --demo as a real process', () => {
  const TOKEN = 'serve-test-admin-token-0123456789';
  const REQUEST_TIMEOUT_MS = 2000;
  let service: ServeProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = serve(['--demo', '--demo-speed', '1200', '--port', String(port), '--request-timeout-ms', String(REQUEST_TIMEOUT_MS)], { VIX_TTL_ADMIN_TOKEN: TOKEN, REDIS_URL: undefined });
    await service.waitFor('VIX_TTL_LISTENING');
  });

  afterAll(() => {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
  });

  it('logs the embedded memory clock and runs the accelerated clock, labelled as such', async () => {
    const listening = await service.waitFor('VIX_TTL_LISTENING');
    expect(listening).toMatchObject({ clock: 'memory', admin: 'enabled', demo: { speed: 1200 } });
    expect(String(listening.store)).toContain('embedded default');
    const state = (await httpRequest(`${base}/v1/state`)).json() as { clock: Record<string, unknown> };
    expect(state.clock).toMatchObject({ kind: 'memory', timeScale: 1200, accelerated: true, label: 'accelerated clock ×1200' });
  });

  it('the simulated feed starts a panic after a short calm and the decisions per second move', async () => {
    type Scope = { scope: string; panic: { active: boolean } | null; maxTier: number; vix: { index: number } | null };
    let scopes: Scope[] = [];
    await eventually(async () => {
      const state = (await httpRequest(`${base}/v1/state`)).json() as { scopes: Scope[]; decisionsPerSecond: { total: number } };
      scopes = state.scopes;
      return state.decisionsPerSecond.total > 0 && scopes.some((s) => s.scope === 'champions-league' && s.panic?.active && s.maxTier >= 1);
      // About 2 s at rest. Generous: at ×1200 the engine's 5-minute tick age is 250 ms of real time, so a
      // starved process refuses part of its own feed as stale_ts (failed once at 10 s, test:unit under load).
    }, 40_000, 'a demo panic');
    expect(scopes.map((s) => s.scope)).toEqual(expect.arrayContaining(['global', 'champions-league', 'premier-league', 'ligue-2']));
    expect(scopes.find((s) => s.scope === 'champions-league')!.vix).not.toBeNull();
  }, 60_000);

  it('a malformed request line, a bad escape and oversized headers answer the JSON error shape from the real process (raw sockets)', async () => {
    const port = Number(new URL(base).port);
    const cases: Array<[string, number, string, string | null]> = [
      ['GARBAGE\r\n\r\n', 400, 'bad_request', 'method'],
      ['GET /% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'not_found', null],
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large', 'headers'],
    ];
    for (const [raw, status, error, field] of cases) {
      const answer = await rawExchange(port, [raw]);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.json()).toEqual({ error, field, message: expect.any(String) });
    }
  });

  it('--request-timeout-ms cuts a dripping body at the timeout with a 408 in the JSON shape', async () => {
    const answer = await rawExchange(Number(new URL(base).port), ['POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{'], { dripMs: 100 });
    expect(answer.status).toBe(408);
    expect(answer.json()).toMatchObject({ error: 'request_timeout', field: 'body' });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + 4000);
  });

  it('SIGTERM closes the event streams, drains and exits 0', async () => {
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = request(`${base}/v1/events`, { agent: false }, (res) => {
        try {
          checkResponse({ method: 'GET', url: `${base}/v1/events`, status: res.statusCode ?? 0, headers: res.headers, body: '' });
        } catch (error) {
          reject(error as Error);
        }
        res.on('data', () => {});
        res.on('end', resolve);
        res.on('error', reject);
        service.child.kill('SIGTERM');
      });
      req.on('error', reject);
      req.end();
    });
    await streamEnded;
    expect(await service.exited).toBe(0);
    expect(service.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['VIX_TTL_DRAINING', 'VIX_TTL_STOPPED']));
    await expect(postJson(`${base}/v1/ttl`, '{"baseTtl":1}')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('vix-ttl serve: a signal at start', () => {
  it('SIGTERM sent the moment VIX_TTL_LISTENING is logged drains and exits 0, every time (3 starts)', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const run = serve(['--port', String(await freePort())]);
      await run.waitFor('VIX_TTL_LISTENING', 60_000);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.lines.some((line) => line.msg === 'VIX_TTL_STOPPED')).toBe(true);
    }
  }, 180_000);
});
