import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceConfig, SERVE_SPEC } from '../../src/cli/commands/serve.js';
import { configFileSchema, loadConfigFile, MAX_CONFIG_BYTES } from '../../src/cli/config-file.js';
import type { FlagSpec } from '../../src/cli/flag-spec.js';
import { parseFlags, settingFrom } from '../../src/cli/parse-flags.js';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.js';
import { DEFAULT_TIERS } from '../../src/policy/policy-config.js';
import { cli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vix-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
/** Writes a config file (an object as JSON, or a text as is) and returns its path. */
function configFile(content: unknown): string {
  const file = join(dir, `config-${(count += 1)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

describe('the config file: every error names the file and the path in it, one line, exit code 2', () => {
  const tiers = (table: unknown) => ({ policy: { tiers: { high_stakes: table } } });
  const cases: Array<[string, unknown, string]> = [
    ['a negative tier TTL', tiers({ thresholdsMin: [60, 180, 360], ttlSeconds: [0, 5, -5, 60] }), 'policy.tiers.high_stakes.ttlSeconds[2]: must be ≥ 0, got -5'],
    ['thresholds that do not increase', tiers({ thresholdsMin: [60, 30, 360], ttlSeconds: [0, 5, 30, 60] }), 'policy.tiers.high_stakes.thresholdsMin: thresholds must be strictly increasing, got [60, 30, 360]'],
    ['a tier table with two thresholds', tiers({ thresholdsMin: [60, 180], ttlSeconds: [0, 5, 30, 60] }), 'policy.tiers.high_stakes.thresholdsMin: must have at least 3 items, got 2'],
    ['an unknown importance', { policy: { tiers: { ultra_stakes: {} } } }, 'policy.tiers.ultra_stakes: unknown key; known here: high_stakes, medium_stakes, low_stakes'],
    ['a league under two importances', { policy: { leagues: { high_stakes: ['Ligue 1'] } } }, 'policy.leagues.medium_stakes: "Ligue 1" is already listed under high_stakes'],
    ['an empty league name', { policy: { leagues: { low_stakes: ['Ligue 2', ' '] } } }, 'policy.leagues.low_stakes[1]: names must not be empty, got ""'],
    ['a typo in a server key', { server: { prot: 8080 } }, 'server.prot: unknown key; known here: host, port, workers,'],
    ['a typo in a section', { sever: {} }, 'sever: unknown key; known here: server, redis, policy, vix, breaker'],
    ['a port as a string', { server: { port: '8080' } }, 'server.port: must be a number, got "8080"'],
    ['a port out of range', { server: { port: 70_000 } }, 'server.port: must be ≤ 65535, got 70000'],
    ['a fractional worker count', { server: { workers: 1.5 } }, 'server.workers: must be an integer, got 1.5'],
    ['a host with a space', { server: { host: 'local host' } }, 'server.host: must be a host name or an IP address, got "local host"'],
    ['a body limit under createServer’s minimum', { server: { bodyLimit: 10 } }, 'server.bodyLimit: must be ≥ 256, got 10'],
    ['a VIX exit above its enter', { vix: { panic: { enter: 4, exit: 5 } } }, 'vix.panic.exit: must be lower than panic.enter (4), got 5'],
    ['a VIX threshold of zero', { vix: { elevated: { enter: 0 } } }, 'vix.elevated.enter: must be > 0, got 0'],
    ['VIX hooks (functions cannot be JSON)', { vix: { hooks: {} } }, 'vix.hooks: unknown key'],
    ['a key prefix with a space', { redis: { keyPrefix: 'a b' } }, 'redis.keyPrefix: must be 1–128 characters of A-Z a-z 0-9 : _ . - { }, got "a b"'],
    ['a batch script over more than 10,000 keys', { redis: { maxKeysPerScript: 20_000 } }, 'redis.maxKeysPerScript: must be ≤ 10000, got 20000'],
    ['a calm grace longer than the dead man’s switch', { redis: { deadManSwitchSeconds: 60, calmGraceSeconds: 60 } }, 'redis.calmGraceSeconds: must be shorter than deadManSwitchSeconds (60), got 60'],
    ['a sync interval over a minute', { breaker: { syncIntervalMs: 120_000 } }, 'breaker.syncIntervalMs: must be ≤ 60000, got 120000'],
    ['a Redis URL of another scheme', { redis: { url: 'http://127.0.0.1:6390' } }, 'redis.url: must use redis:// or rediss://, got http:'],
    ['a section that is not an object', { server: [] }, 'server: must be an object, got an array'],
    ['a prototype key', '{"__proto__": {"server": {}}}', '__proto__: unknown key'],
    ['a trailing comma', '{\n  "server": {\n    "port": 8080,\n  }\n}', 'not valid JSON at line 4, column 3: Expected double-quoted property name (JSON only: no comments, no trailing commas)'],
    ['a comment', '{\n  // the port\n  "server": {}\n}', 'not valid JSON at line 2, column 3'],
    ['an array instead of an object', '[]', 'must hold one JSON object, got an array'],
    ['an empty file', '', 'not valid JSON'],
  ];

  it.each(cases)('%s', async (_name, content, message) => {
    const file = configFile(content);
    const { code, err, out } = await cli(['plan', '--config', file]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain(`vix-ttl plan: ${file}: ${message}`);
    expect(err).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('a Redis URL with a password or a token is refused, and neither is printed', async () => {
    for (const url of ['redis://:s3cret-pw@127.0.0.1:6390', 'redis://admin:s3cret-pw@127.0.0.1:6390', 'rediss://127.0.0.1:6390?password=s3cret-pw', 'redis://user@127.0.0.1:6390']) {
      const { code, err } = await cli(['serve', '--config', configFile({ redis: { url } })]);
      expect(code).toBe(2);
      expect(err).toMatch(/redis\.url: must not carry a user name, password or token .* set REDIS_URL in the environment instead/);
      expect(err).not.toContain('s3cret');
      expect(err).not.toContain('admin');
    }
    const unparsable = await cli(['serve', '--config', configFile({ redis: { url: 'redis://:s3cret-pw@127.0.0.1:99999' } })]);
    expect(unparsable.code).toBe(2);
    expect(unparsable.err).not.toContain('s3cret');
  });

  it('a missing file, a folder, a FIFO and a file over 1 MiB are refused before anything is parsed (a FIFO is not even opened: it would block)', async () => {
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect((await cli(['plan', '--config', fifo])).err.trim()).toBe(`vix-ttl plan: ${fifo}: cannot read the config file: not a file`);
    const big = configFile(`{"server": {}, "x": "${'a'.repeat(MAX_CONFIG_BYTES)}"}`);
    expect((await cli(['plan', '--config', join(dir, 'none.json')])).err.trim()).toBe(`vix-ttl plan: ${join(dir, 'none.json')}: cannot read the config file: no such file`);
    expect((await cli(['plan', '--config', folder])).err.trim()).toBe(`vix-ttl plan: ${folder}: cannot read the config file: not a file`);
    expect((await cli(['plan', '--config', big])).err.trim()).toMatch(/the config file has \d+ bytes; at most 1048576 are read$/);
  });
});

describe('the config file: what it sets reaches the command', () => {
  it('examples/vix-ttl.json is valid, and sets the seed’s tier tables', () => {
    const config = loadConfigFile('examples/vix-ttl.json');
    expect(config.policy?.tiers).toEqual(DEFAULT_TIERS);
    expect(config.vix).toMatchObject({ panic: { enter: 4, exit: 2 } });
  });

  it('plan and decide use its policy; --config wins over VIX_TTL_CONFIG, which is read when --config is absent', async () => {
    const custom = configFile({ policy: { tiers: { medium_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [0, 7, 13, 42] } }, leagues: { high_stakes: ['Coupe de la Ligue'] } } });
    const other = configFile({ policy: { tiers: { medium_stakes: { thresholdsMin: [10, 20, 30], ttlSeconds: [1, 2, 3, 4] } } } });
    const decide = async (args: string[], env: NodeJS.ProcessEnv = {}) => JSON.parse((await cli(['decide', '--status', 'panic', '--minutes', '2.5', '--json', ...args], env)).out);
    expect(await decide([])).toMatchObject({ tier: 1, ttl: 0 }); // the seed's table: 2.5 min is tier 1
    expect(await decide(['--config', custom])).toMatchObject({ tier: 3, ttl: 13, nextTierInMin: 0.5 });
    expect(await decide([], { VIX_TTL_CONFIG: custom })).toMatchObject({ tier: 3, ttl: 13 });
    expect(await decide(['--config', custom], { VIX_TTL_CONFIG: other })).toMatchObject({ tier: 3, ttl: 13 });
    expect(await decide(['--league', 'Coupe de la Ligue', '--config', custom])).toMatchObject({ importance: 'high_stakes', tier: 1 });
    const plan = JSON.parse((await cli(['plan', '--importance', 'medium_stakes', '--json', '--config', custom])).out);
    expect(plan.plans[0].tiers.map((t: { ttl: number }) => t.ttl)).toEqual([0, 7, 13, 42]);
  });

  it('replay uses the file’s VIX engine options and policy', async () => {
    const replayed = async (args: string[]) => JSON.parse((await cli(['replay', 'examples/volatile-evening.csv', '--json', ...args])).out);
    const seed = await replayed([]);
    const omOl = (result: { scopes: Array<{ scope: string; panics: Array<{ tiers: Record<string, Array<{ ttl: number }>> }> }> }) => result.scopes.find((s) => s.scope === 'om-ol')!;
    expect(omOl(seed).panics).toHaveLength(1);
    const file = configFile({ vix: { elevated: { enter: 90 }, panic: { enter: 100, exit: 50 } }, policy: { tiers: { low_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [1, 2, 3, 4] } } } });
    const calm = await replayed(['--config', file]);
    expect(calm.options).toMatchObject({ panic: { enter: 100, exit: 50 }, elevated: { enter: 90 } });
    expect(omOl(calm).panics).toHaveLength(0); // no index of this evening reaches 100
    const retiered = await replayed(['--config', configFile({ policy: { tiers: { low_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [1, 2, 3, 4] } } } })]);
    expect(omOl(retiered).panics[0]!.tiers.low_stakes!.map((s) => s.ttl)).toEqual([1, 2, 3, 4, 60]);
  });

  it('serve: flags > environment > file > defaults, for every setting that has all four', () => {
    const file = loadConfigFile(configFile({ server: { host: '127.0.0.3', port: 9003, requestTimeoutMs: 5000 }, breaker: { maxPanicScopes: 33 } }));
    const config = (args: string[], env: NodeJS.ProcessEnv = {}, withFile = true) => serviceConfig(parseFlags(SERVE_SPEC, args), env, withFile ? file : undefined);
    expect(config([], {}, false)).toMatchObject({ host: '127.0.0.1', port: 8080, requestTimeoutMs: 30_000, maxPanicScopes: 1000 });
    expect(config([])).toMatchObject({ host: '127.0.0.3', port: 9003, requestTimeoutMs: 5000, maxPanicScopes: 33 });
    expect(config([], { HOST: '127.0.0.2', PORT: '9002' })).toMatchObject({ host: '127.0.0.2', port: 9002 });
    expect(config(['--host', '127.0.0.4', '--port', '9004', '--max-panic-scopes', '44'], { HOST: '127.0.0.2', PORT: '9002' })).toMatchObject({ host: '127.0.0.4', port: 9004, maxPanicScopes: 44 });
    // A variable set but empty is an error naming it, not "unset": nothing falls back silently.
    expect(() => config([], { PORT: '' })).toThrow('PORT is set but empty: unset it for the default, or give it a value (PORT)');
    expect(() => config([], { HOST: '' })).toThrow('HOST is set but empty: unset it for the default, or give it a value (HOST)');
    expect(config(['--port', '9004'], { PORT: '' })).toMatchObject({ port: 9004 }); // the flag wins before the variable is read
  });

  it('serve: a bad HOST variable is one line naming it', async () => {
    const { code, err } = await cli(['serve'], { HOST: 'two words' });
    expect(code).toBe(2);
    expect(err.trim()).toBe('vix-ttl serve: HOST must be a host name or an IP address, got "two words"');
  });

  it('serve: the policy, the VIX engine, the clock, the breaker and the server limits of the file land in the service configuration', () => {
    const file = loadConfigFile(
      configFile({
        redis: { url: 'redis://127.0.0.1:6390', keyPrefix: 'cfg:panic', timeoutMs: 80, maxInFlight: 8, maxKeysPerScript: 500 },
        policy: { tiers: { low_stakes: { thresholdsMin: [1, 2, 3], ttlSeconds: [0, 1, 2, 3] } } },
        vix: { panic: { enter: 6, exit: 3 } },
        breaker: { syncIntervalMs: 250 },
        server: { bodyLimit: 1024, maxEventClients: 3, maxBatchItems: 50, shutdownTimeoutMs: 2000 },
      }),
    );
    const config = serviceConfig(parseFlags(SERVE_SPEC, []), {}, file);
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6390',
      clock: { keyPrefix: 'cfg:panic', timeoutMs: 80, maxInFlight: 8, maxKeysPerScript: 500 },
      policy: { tiers: { low_stakes: { thresholdsMin: [1, 2, 3] } } },
      vix: { panic: { enter: 6, exit: 3 } },
      syncIntervalMs: 250,
      limits: { bodyLimit: 1024, maxEventClients: 3, maxBatchItems: 50 },
      shutdownTimeoutMs: 2000,
    });
    expect(config.clock).not.toHaveProperty('url');
    expect(serviceConfig(parseFlags(SERVE_SPEC, ['--redis', 'redis://127.0.0.1:6391']), { REDIS_URL: 'redis://127.0.0.1:6392' }, file).redisUrl).toBe('redis://127.0.0.1:6391');
    expect(serviceConfig(parseFlags(SERVE_SPEC, []), { REDIS_URL: 'redis://127.0.0.1:6392' }, file).redisUrl).toBe('redis://127.0.0.1:6392');
  });

  it('serve: server.stalledConnectionFloorMs and server.unreadLingerMs of the file land in the limits; out of range they are refused naming the key', () => {
    const file = loadConfigFile(configFile({ server: { stalledConnectionFloorMs: 2000, unreadLingerMs: 250 } }));
    expect(serviceConfig(parseFlags(SERVE_SPEC, []), {}, file)).toMatchObject({ limits: { stalledConnectionFloorMs: 2000, unreadLingerMs: 250 } });
    expect(() => loadConfigFile(configFile({ server: { stalledConnectionFloorMs: 99 } }))).toThrow(/server\.stalledConnectionFloorMs/);
    expect(() => loadConfigFile(configFile({ server: { unreadLingerMs: 60_001 } }))).toThrow(/server\.unreadLingerMs/);
  });

  it('serve with workers from the file and no Redis is refused, naming the file', async () => {
    const { code, err } = await cli(['serve', '--config', configFile({ server: { workers: 3 } })]);
    expect(code).toBe(2);
    expect(err.trim()).toBe('vix-ttl serve: 3 workers (server.workers in the config file) needs a shared clock: pass --redis redis://host:6379, set REDIS_URL or redis.url in the config file (in-memory clocks cannot agree across processes)');
  });

  it('serve --demo with workers from the file is refused, naming the file', async () => {
    const { code, err } = await cli(['serve', '--demo', '--config', configFile({ server: { workers: 2 } })]);
    expect(code).toBe(2);
    expect(err).toMatch(/--demo runs in one process; drop --workers \(2, from server\.workers in the config file\)/);
  });

  it('every serve flag with a file key: the schema takes that key, by the flag’s rule, and the flag reads it back', () => {
    const flags = Object.entries(SERVE_FLAGS as Record<string, FlagSpec>).filter(([, flag]) => flag.type !== 'boolean' && flag.file !== undefined);
    expect(flags.length).toBeGreaterThanOrEqual(9);
    for (const [name, flag] of flags) {
      if (flag.type === 'boolean') continue;
      const value = name === 'redis' ? 'redis://127.0.0.1:6390' : flag.type === 'integer' ? flag.max : flag.default;
      const [section, key] = flag.file!.split('.');
      const parsed = configFileSchema.safeParse({ [section!]: { [key!]: value } });
      expect(parsed.success, `${flag.file} takes ${String(value)}`).toBe(true);
      expect(settingFrom(SERVE_SPEC, parseFlags(SERVE_SPEC, []), name as keyof typeof SERVE_FLAGS & string, {}, parsed.data), name).toBe(value);
      if (flag.type === 'integer') {
        expect(configFileSchema.safeParse({ [section!]: { [key!]: flag.max + 1 } }).success, `${flag.file} refuses ${flag.max + 1}`).toBe(false);
        expect(configFileSchema.safeParse({ [section!]: { [key!]: flag.min - 1 } }).success, `${flag.file} refuses ${flag.min - 1}`).toBe(false);
      }
    }
  });
});
