import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, freePort } from '../support/redis-server.js';
import { serve, type ServeProcess } from '../server/serve-process.js';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';

// Every shell command of docs/rollout.md is run as written, in document order, against a real
// redis-server and two real services (a shadow one at $VIX_URL, a live canary at $CANARY_URL):
// a block must exit 0 (curl -f fails on an HTTP error). `npx vix-ttl` runs this checkout's CLI.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/rollout.md'), 'utf8');
const ADMIN = 'rollout-admin-token-0123456789';
const LONG_RUNNING = '# starts the service (runs until stopped)';

/** The fenced blocks of a language, in order. */
function blocks(language: string): string[] {
  return [...DOC.matchAll(new RegExp(String.raw`^( *)\`\`\`${language}\n([\s\S]*?)^\1\`\`\`$`, 'gm'))].map((m) => m[2]!.replace(new RegExp(`^${m[1]}`, 'gm'), ''));
}

/** `npx vix-ttl …` → this checkout's built CLI; any other npx is refused (nothing is downloaded). */
function npxFunction(exec: boolean): string {
  const cli = `${process.execPath} ${VIX_TTL_BIN}`;
  return `npx() { if [ "$1" = vix-ttl ]; then shift; ${exec ? 'exec ' : ''}${cli} "$@"; else echo "npx $1: not run by this test" >&2; return 127; fi; }`;
}

describe('docs/rollout.md names what exists', () => {
  const prose = DOC.replace(/```[\s\S]*?```/g, '').replace(/`[^`]*`/g, '');

  it('every panel it cites (in italics) is a panel or row title of ops/grafana/vix-ttl.json', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/vix-ttl.json'), 'utf8')) as { panels: Array<{ title: string }> };
    const titles = new Set(dashboard.panels.map((p) => p.title));
    const cited = [...prose.matchAll(/(?<![*\w])\*([^*]+)\*(?!\*)/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
    expect(cited.length).toBeGreaterThanOrEqual(15);
    expect(cited.filter((title) => !titles.has(title))).toEqual([]);
  });

  it('every alert it names (in bold) and every recording rule is in ops/prometheus/alerts.yml', () => {
    const rules = readFileSync(join(ROOT, 'ops/prometheus/alerts.yml'), 'utf8');
    const alerts = new Set([...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!));
    const records = new Set([...rules.matchAll(/- record: (\S+)/g)].map((m) => m[1]!));
    const named = [...prose.matchAll(/\*\*(VixTtl\w+)\*\*/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThanOrEqual(8);
    expect(named.filter((name) => !alerts.has(name))).toEqual([]);
    const recorded = [...DOC.matchAll(/`(\w+:vix_ttl_\w+:\w+)/g)].map((m) => m[1]!);
    expect(recorded).toHaveLength(3);
    expect(recorded.filter((name) => !records.has(name))).toEqual([]);
  });
});

describe('docs/rollout.md: every command runs as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vix-rollout-'));
  let redis: RedisServer;
  let shadow: ServeProcess;
  let canary: ServeProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    expect(spawnSync('curl', ['--version']).status, 'curl is needed to run the documented commands').toBe(0);
    execFileSync('redis-cli', ['--version']);
    redis = await RedisServer.start();
    const [shadowPort, canaryPort] = [await freePort(), await freePort()];
    const secrets = { VIX_TTL_ADMIN_TOKEN: ADMIN };
    shadow = serve(['--shadow', '--redis', redis.url, '--port', String(shadowPort)], secrets);
    canary = serve(['--redis', redis.url, '--port', String(canaryPort)], secrets);
    await Promise.all([shadow.waitFor('VIX_TTL_LISTENING'), canary.waitFor('VIX_TTL_LISTENING')]);
    // The documented commands run in a directory of their own, with the example ticks and the documented config file.
    symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
    const json = blocks('json');
    expect(json).toHaveLength(1);
    writeFileSync(join(dir, 'vix-ttl.json'), json[0]!);
    const { VIX_TTL_CONFIG: _config, VIX_TTL_SHADOW: _shadow, VIX_TTL_API_TOKEN: _api, VIX_TTL_METRICS_TOKEN: _metrics, ...inherited } = process.env;
    env = { ...inherited, VIX_URL: `http://127.0.0.1:${shadowPort}`, CANARY_URL: `http://127.0.0.1:${canaryPort}`, REDIS_URL: redis.url, VIX_TTL_ADMIN_TOKEN: ADMIN };
  });

  afterAll(async () => {
    for (const service of [shadow, canary]) if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents shell blocks, one of them the long-running serve commands', () => {
    expect(blocks('sh').length).toBeGreaterThanOrEqual(8);
    expect(blocks('sh').filter((b) => b.startsWith(LONG_RUNNING))).toHaveLength(1);
  });

  it('the serve commands start a service, in shadow mode or not as the text says, and drain on SIGTERM', async () => {
    const lines = blocks('sh')
      .find((b) => b.startsWith(LONG_RUNNING))!
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines).toHaveLength(3);
    const shadowOf: boolean[] = [];
    for (const line of lines) {
      const port = await freePort();
      const child = spawn('bash', ['-c', `${npxFunction(true)}\n${line}`], { cwd: dir, env: { ...env, PORT: String(port), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        let stderr = '';
        child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
        const timer = setTimeout(() => reject(new Error(`${line}: no VIX_TTL_LISTENING within 30 s; ${stderr}`)), 30_000);
        createInterface({ input: child.stdout! }).on('line', (text) => {
          if (!text.includes('VIX_TTL_LISTENING')) return;
          clearTimeout(timer);
          resolve(JSON.parse(text) as Record<string, unknown>);
        });
        child.once('exit', (code) => reject(new Error(`${line}: exited ${code} before listening; ${stderr}`)));
      });
      expect(listening.address).toBe(`http://127.0.0.1:${port}`);
      shadowOf.push(Boolean(listening.shadow));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited, line).toBe(0);
    }
    expect(shadowOf).toEqual([true, true, false]);
  });

  it('every other block exits 0, in order, and says what the text says it says', async () => {
    const outputs: Array<{ block: string; out: string }> = [];
    let pauseMs = 0;
    for (const block of blocks('sh').filter((b) => !b.startsWith(LONG_RUNNING))) {
      // A person types the next block more than one sync interval (100 ms) after the last answer, and
      // after the pause of Redis the drill asked for is over.
      await new Promise((resolve) => setTimeout(resolve, 200 + pauseMs));
      pauseMs = Number(/CLIENT PAUSE (\d+)/.exec(block)?.[1] ?? 0);
      const run = spawnSync('bash', ['-c', `set -euo pipefail\n${npxFunction(false)}\n${block}`], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      expect(run.status, `${block}\n${run.stdout}\n${run.stderr}`).toBe(0);
      outputs.push({ block, out: run.stdout });
    }
    const outputOf = (needle: string) => outputs.find((o) => o.block.includes(needle))!.out;
    expect(outputOf('"vixStatus":"calm","scope":"check"')).toContain('"shadow":{"ttl":60');
    expect(outputOf("grep '^vix_ttl_shadow_mode'").endsWith('vix_ttl_shadow_mode 1\n')).toBe(true);
    const both = outputOf('$CANARY_URL/v1/ttl');
    expect(both).toContain('{"ttl":60,"mode":"NORMAL","tier":0,"importance":"medium_stakes"');
    expect(both).toContain('"shadow":{"ttl":0,"mode":"PANIC_FULL","tier":1');
    expect(both).toContain('{"ttl":0,"mode":"PANIC_FULL","tier":1');
    expect(outputOf('"ageMinutes":100')).toContain('"shadow":{"ttl":30,"mode":"DEGRADED","tier":3');
    const paused = outputOf('CLIENT PAUSE');
    expect(paused).toContain('{"ttl":60,"mode":"NORMAL"');
    expect(paused).toContain('"failSafe":true,"reason":"store_timeout"');
    expect(outputOf('/v1/admin/reset')).toContain('{"scope":"drill","ended":true}');
    expect(outputOf('replay examples/volatile-evening.csv --shadow')).toContain(
      'high_stakes: vix-ttl would have served fresh data (TTL 0) for 60.0 min, and fresher data for 116.7 min in all, where 60-second-old data was served',
    );
    expect(await redis.client().exists('brain:panic_start_ts:drill')).toBe(0);
  });
});
