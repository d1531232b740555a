import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { cli } from './run-cli.js';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';

describe('serve --log-format pretty: log lines for a person, scrubbed of secrets like the JSON ones', () => {
  it('prints pino-pretty lines (level, message, fields), never the Redis password, and stops on SIGTERM', async () => {
    const [port, closed] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [VIX_TTL_BIN, 'serve', '--port', String(port), '--log-format', 'pretty'], {
      env: { ...process.env, REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${closed}`, LOG_LEVEL: 'info', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!out.includes('VIX_TTL_LISTENING') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^\[[\d-]+ [\d:.]+\] INFO: VIX_TTL_LISTENING$/m);
    expect(out).toMatch(/^\s+address: "http:\/\/127\.0\.0\.1:\d+"$/m);
    expect(out).toMatch(/WARN: VIX_TTL_STORE_UNREACHABLE_AT_START/);
    expect(out).toContain('redis://:***@127.0.0.1');
    expect(out).not.toContain('s3cret');
    expect(out.split('\n').some((line) => line.startsWith('{'))).toBe(false); // no JSON line
  }, 40_000);

  it('--json and --log-format pretty together are one line, exit 2', async () => {
    const { code, err } = await cli(['serve', '--json', '--log-format', 'pretty']);
    expect(code).toBe(2);
    expect(err.trim()).toBe('vix-ttl serve: --json asks for JSON logs and --log-format pretty for pretty ones: give one');
  });
});
