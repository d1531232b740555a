import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../src/server/process/run-service.js';
import { captureLogger } from '../support/capture-logger.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { eventually, httpRequest } from '../server/http-helpers.js';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'Sx9-never-print-me';
const WRONG = 'Wq7-never-print-either';

/** `vix-ttl …` as a real process (the built binary): everything it writes to stdout and stderr. */
function vixTtl(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [VIX_TTL_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: undefined, LOG_LEVEL: 'info', ...env }, // REDIS_URL unset (an empty one is refused)
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
  void exited.then(() => clearTimeout(kill));
  return { child, exited, output: () => `${stdout}\n${stderr}`, stdout: () => stdout, stderr: () => stderr };
}

function expectNoSecret(output: string): void {
  expect(output).not.toContain(SECRET);
  expect(output).not.toContain(WRONG);
}

describe('no secret of a Redis URL is ever printed, by any command that takes --redis (real processes)', () => {
  let redis: RedisServer;
  let closedPort: number;
  // [label, url, exit code of status/reset, what serve does]
  let cases: Array<[string, string, number, 'ready' | 'unready' | 'refused']>;

  beforeAll(async () => {
    redis = await RedisServer.start(['--requirepass', SECRET]);
    closedPort = await freePort();
    const p = redis.port;
    cases = [
      ['a password in the userinfo', `redis://:${SECRET}@127.0.0.1:${p}`, 0, 'ready'],
      ['a user name and a password in the userinfo', `redis://default:${SECRET}@127.0.0.1:${p}`, 0, 'ready'],
      ['a password query parameter', `redis://127.0.0.1:${p}/?password=${SECRET}`, 0, 'ready'],
      ['a wrong password', `redis://:${WRONG}@127.0.0.1:${p}`, 1, 'unready'],
      ['an unreachable Redis, password in the userinfo', `redis://:${SECRET}@127.0.0.1:${closedPort}`, 1, 'unready'],
      ['an unreachable Redis, token and pass parameters', `redis://127.0.0.1:${closedPort}/?token=${SECRET}&pass=${WRONG}`, 1, 'unready'],
      ['an unparsable port (99999)', `redis://:${SECRET}@127.0.0.1:99999`, 2, 'refused'],
      ['a broken IPv6 host', `redis://:${SECRET}@[::1`, 2, 'refused'],
      ['a wrong scheme', `http://:${SECRET}@127.0.0.1:${p}/?password=${WRONG}`, 2, 'refused'],
      // It parses with no host; the Redis client took its path for a unix socket and printed it: connect ENOENT /:<password>@…
      ['one slash missing', `redis:/:${SECRET}@127.0.0.1:${p}`, 2, 'refused'],
      ['no slash at all', `redis::${SECRET}@127.0.0.1:${p}`, 2, 'refused'],
    ];
  });

  afterAll(async () => redis?.stop());

  for (const command of ['status', 'reset'] as const) {
    for (const via of ['--redis', 'REDIS_URL'] as const) {
      it.concurrent(`vix-ttl ${command}, the URL in ${via}`, async () => {
        // Every case through the flag; through the variable, one of each outcome (only the field's name differs).
        for (const [label, url, code] of via === '--redis' ? cases : cases.filter((_, i) => [2, 4, 7].includes(i))) {
          const run = via === '--redis' ? vixTtl([command, '--redis', url]) : vixTtl([command], { REDIS_URL: url });
          expect(await run.exited, `${label}: ${run.output()}`).toBe(code);
          expectNoSecret(run.output());
          if (code === 0) expect(run.stdout()).toMatch(/^scope global/);
          if (code === 1) expect(run.stderr()).toMatch(/^vix-ttl \w+: cannot reach Redis at redis:\/\/(:\*\*\*@)?127\.0\.0\.1:\d+(\/\?token=\*\*\*&pass=\*\*\*)?: (connect ECONNREFUSED 127\.0\.0\.1:\d+|WRONGPASS invalid username-password pair or user is disabled\.)\n$/);
          if (code === 2) expect(run.stderr()).toMatch(/^vix-ttl \w+: (--redis|REDIS_URL) must (be a URL like redis:\/\/127\.0\.0\.1:6379, got "<unparsable URL redis:\/\/[^"]*>"|use redis:\/\/ or rediss:\/\/, got "http:")\n$/);
        }
      }, 120_000);
    }
  }

  it.concurrent('vix-ttl serve: VIX_TTL_LISTENING shows the URL redacted, connection failures show no secret, refused URLs are not echoed', async () => {
    for (const [label, url, , outcome] of cases) {
      const port = await freePort();
      const run = vixTtl(['serve', '--port', String(port), '--redis', url]);
      if (outcome === 'refused') {
        expect(await run.exited, label).toBe(2);
        expectNoSecret(run.output());
        continue;
      }
      await eventually(async () => run.stdout().includes('"VIX_TTL_LISTENING"'), 30_000, `${label}: VIX_TTL_LISTENING`);
      const listening = run.stdout().split('\n').map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {})).find((line) => line.msg === 'VIX_TTL_LISTENING')!;
      expect(String(listening.store), label).not.toContain(SECRET);
      expect(String(listening.store), label).toMatch(/^redis:\/\/(\*\*\*:\*\*\*@|:\*\*\*@)?127\.0\.0\.1:\d+(\/\?(password|token)=\*\*\*(&pass=\*\*\*)?)?$/);
      // Readiness runs the decision script with a short timeout; on a loaded machine the first probe
      // may miss it. Its latency is not this test's subject: a reachable store is awaited, not timed.
      if (outcome === 'ready') await eventually(async () => (await httpRequest(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000, `${label}: readyz 200`);
      else expect((await httpRequest(`http://127.0.0.1:${port}/readyz`)).status, label).toBe(503);
      if (outcome === 'unready') await eventually(async () => /VIX_TTL_STORE_(UNREACHABLE_AT_START|CONNECTION_ERROR)/.test(run.stdout()), 10_000, `${label}: a logged connection failure`);
      run.child.kill('SIGTERM');
      expect(await run.exited, label).toBe(0);
      expectNoSecret(run.output());
    }
  }, 240_000);

  it.concurrent('vix-ttl serve: a password made of JSON punctuation is masked without breaking a log line', async () => {
    const port = await freePort();
    // The password is ":" — masked inside the lines' strings, never in their structure.
    const run = vixTtl(['serve', '--port', String(port)], { REDIS_URL: `redis://ops::@127.0.0.1:${closedPort}` });
    await eventually(async () => run.stdout().includes('VIX_TTL_STORE_UNREACHABLE_AT_START') && run.stdout().includes('VIX_TTL_LISTENING'), 30_000, 'the start logs');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const lines = run.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(run.stdout()).not.toContain('ops::@');
  }, 60_000);

  it.concurrent('vix-ttl serve --workers 2: the primary and both workers authenticate with a query password and print it nowhere', async () => {
    const port = await freePort();
    const run = vixTtl(['serve', '--workers', '2', '--port', String(port)], { REDIS_URL: `redis://127.0.0.1:${redis.port}/?password=${SECRET}` });
    await eventually(async () => run.stdout().includes('"VIX_TTL_CLUSTER_READY"'), 45_000, 'VIX_TTL_CLUSTER_READY');
    // Ready means the worker that answered reached Redis with the password; a busy machine may need a retry.
    for (let i = 0; i < 4; i += 1) await eventually(async () => (await httpRequest(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000, 'readyz 200');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stdout().match(/"VIX_TTL_LISTENING"/g)).toHaveLength(2);
    expectNoSecret(run.output());
  }, 120_000);
});

describe('startService logs no secret by itself (a library caller has no CLI log sink)', () => {
  it('VIX_TTL_LISTENING and the connection failures of a URL with a password in the userinfo and in the query', async () => {
    const closedPort = await freePort();
    for (const url of [`redis://:${SECRET}@127.0.0.1:${closedPort}`, `redis://127.0.0.1:${closedPort}/?password=${SECRET}&username=${WRONG}`]) {
      const { logger, lines } = captureLogger('debug');
      const service = await startService({ port: 0, host: '127.0.0.1', redisUrl: url, workers: 1, demo: false, demoSpeed: 1, adminToken: null, apiToken: null, shutdownTimeoutMs: 2000 }, logger);
      try {
        expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['VIX_TTL_STORE_UNREACHABLE_AT_START: serving fail-safe decisions until it answers', 'VIX_TTL_LISTENING']));
        expect(lines.find((line) => line.msg === 'VIX_TTL_LISTENING')!.store).toMatch(/^redis:\/\/(:\*\*\*@)?127\.0\.0\.1:\d+(\/\?password=\*\*\*&username=\*\*\*)?$/);
      } finally {
        await service.close();
      }
      expectNoSecret(JSON.stringify(lines));
    }
  });

  it('a one-slash URL (redis:/:pw@host), which the Redis client takes for a unix socket path: its connection errors show no secret', async () => {
    const url = `redis:/:${SECRET}@127.0.0.1:1`;
    const { logger, lines } = captureLogger('debug');
    const service = await startService({ port: 0, host: '127.0.0.1', redisUrl: url, workers: 1, demo: false, demoSpeed: 1, adminToken: null, apiToken: null, shutdownTimeoutMs: 2000 }, logger);
    try {
      // The path was tried as a socket, and the error quotes it.
      await eventually(async () => lines.some((line) => /ENOENT/.test(String(line.err))), 10_000, 'a logged ENOENT');
      expect(lines.find((line) => line.msg === 'VIX_TTL_LISTENING')!.store).toBe('<unparsable URL redis://127.0.0.1>');
    } finally {
      await service.close();
    }
    expectNoSecret(JSON.stringify(lines));
  });
});
