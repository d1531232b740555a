import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { freePort } from '../support/free-port.js';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'a-token-of-thirty-two-characters';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `vix-ttl …` as a real process (the built binary) with exactly the variables given set: its exit code, stdout and stderr. */
function vixTtlProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(REDIS_URL|PORT|LOG_LEVEL|VIX_TTL_.*)$/.test(name)));
  const child = spawn(process.execPath, [VIX_TTL_BIN, ...args], { cwd: ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const kill = setTimeout(() => child.kill('SIGKILL'), 45_000); // a serve that did not refuse would run until then
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * `vix-ttl …` in this process, through the same `runCli` the binary calls, with exactly the
 * variables given as its environment: the refusals below happen before anything starts, and
 * a process per case would cost ~0.7 s of CPU each (the real process is proved once, first).
 */
async function vixTtl(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`), env });
  return { code, stdout, stderr };
}

describe('the binary itself (a real process)', () => {
  it('REDIS_URL= vix-ttl serve exits 2 with the one-line message on stderr and nothing on stdout', async () => {
    const port = await freePort();
    const run = await vixTtlProcess(['serve', '--port', String(port)], { REDIS_URL: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^vix-ttl serve: REDIS_URL is set but empty: unset it to run the in-memory clock, or set it to a URL like redis:\/\/127\.0\.0\.1:6379\n$/);
    expect(run.stdout).toBe('');
  }, 60_000);
});

describe('a variable set but empty is an error naming it (exit 2), never "unset": nothing fails open', () => {
  it.concurrent.each([
    ['VIX_TTL_API_TOKEN', /^vix-ttl serve: VIX_TTL_API_TOKEN is set but empty: unset it to leave POST \/v1\/ttl and POST \/v1\/ticks open, or set a token of at least 16 characters\n$/],
    ['VIX_TTL_ADMIN_TOKEN', /^vix-ttl serve: VIX_TTL_ADMIN_TOKEN is set but empty: unset it to disable the admin routes, or set a token of at least 16 characters\n$/],
    ['VIX_TTL_METRICS_TOKEN', /^vix-ttl serve: VIX_TTL_METRICS_TOKEN is set but empty: unset it to leave GET \/metrics open, or set a token of at least 16 characters\n$/],
    ['REDIS_URL', /^vix-ttl serve: REDIS_URL is set but empty: unset it to run the in-memory clock, or set it to a URL like redis:\/\/127\.0\.0\.1:6379\n$/],
    ['VIX_TTL_CONFIG', /^vix-ttl serve: VIX_TTL_CONFIG is set but empty: unset it for the default, or give it a value \(a config file path\)\n$/],
    ['PORT', /^vix-ttl serve: PORT is set but empty: unset it for the default, or give it a value \(PORT\)\n$/],
    ['LOG_LEVEL', /^vix-ttl serve: LOG_LEVEL is set but empty: unset it for the default, or give it a value \(fatal, error, warn, info, debug, trace, silent\)\n$/],
  ])('%s= vix-ttl serve refuses to start', async (variable, message) => {
    const port = await freePort();
    const run = await vixTtl(variable === 'PORT' ? ['serve'] : ['serve', '--port', String(port)], { [variable]: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).not.toContain('VIX_TTL_LISTENING');
  }, 60_000);

  it.concurrent('REDIS_URL= vix-ttl status refuses too, instead of asking for a URL as if none were set', async () => {
    const run = await vixTtl(['status'], { REDIS_URL: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^vix-ttl status: REDIS_URL is set but empty/);
  }, 60_000);
});

describe('tokens and usage texts', () => {
  it.concurrent('an admin token equal to the API token (or to the metrics token) is refused, naming both variables and echoing neither', async () => {
    for (const [a, b] of [
      ['VIX_TTL_ADMIN_TOKEN', 'VIX_TTL_API_TOKEN'],
      ['VIX_TTL_API_TOKEN', 'VIX_TTL_METRICS_TOKEN'],
    ]) {
      const port = await freePort();
      const run = await vixTtl(['serve', '--port', String(port)], { [a!]: TOKEN, [b!]: TOKEN });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`vix-ttl serve: ${a} and ${b} must differ: with one token, whoever holds it opens the routes of both\n`);
      expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
    }
  }, 90_000);

  it.concurrent('a usage error shows its example URL as written, not as an unparsable URL', async () => {
    const status = await vixTtl(['status'], {});
    expect(status.code).toBe(2);
    expect(status.stderr).toBe('vix-ttl status: needs a shared clock: pass --redis redis://host:6379, set REDIS_URL or redis.url in the config file (the in-memory clock lives inside one process)\n');
    const serve = await vixTtl(['serve', '--workers', '2'], {});
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('pass --redis redis://host:6379, set REDIS_URL');
    expect(`${status.stderr}${serve.stderr}`).not.toContain('unparsable');
  }, 60_000);

  it.concurrent('VIX_TTL_CONFIG= vix-ttl decide refuses too (the file may hold the policy), instead of deciding with the defaults', async () => {
    const run = await vixTtl(['decide', '--status', 'panic', '--minutes', '1'], { VIX_TTL_CONFIG: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('vix-ttl decide: VIX_TTL_CONFIG is set but empty: unset it for the default, or give it a value (a config file path)\n');
  }, 60_000);

  it.concurrent('--port -1 is a plain one-line usage error naming the flag and its range', async () => {
    const run = await vixTtl(['serve', '--port', '-1'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^vix-ttl serve: --port must be an integer from 0 to 65535, got -1\n$/);
  }, 60_000);

  it.concurrent('a URL in the wrong place, its password holding a space, is masked whole in the usage error', async () => {
    const run = await vixTtl(['status', 'redis://ops:pa ss-word@127.0.0.1:1'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/pa ss|ss-word/);
  }, 60_000);
});
