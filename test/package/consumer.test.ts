import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerProject, packPackage, ROOT, type PackedPackage } from '../support/packed-package.js';
import { freePort, RedisServer } from '../support/redis-server.js';

// What a user gets from `npm i vix-ttl ioredis`, with either major of ioredis: a project
// holding the packed package and the real ioredis 5 or 6 (devDependencies ioredis5 and
// ioredis6, npm aliases), in which the README's snippets type-check (strict,
// exactOptionalPropertyTypes, nodenext and bundler resolution, our .d.ts checked too) and
// run against a real redis-server, and the packed command line and service run.

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** What `tsc -p config` prints in a project: nothing when it type-checks. */
async function tsc(project: string, config: string): Promise<string> {
  return run(process.execPath, [TSC, '-p', config], { cwd: project }).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
}

/** The first TypeScript block after a heading of README.md. */
function snippet(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  expect(at, `README heading ${heading}`).toBeGreaterThanOrEqual(0);
  const block = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  expect(block, `a ts block under ${heading}`).not.toBeNull();
  return block![1]!;
}

const COMPILER = { target: 'es2022', strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, types: ['node'], lib: ['es2023'] };
const SNIPPETS = {
  // The library snippet; the test prints its decision. Its 50 ms store timeout becomes 10 s: the
  // snippet's first call also waits for the connection, which on a loaded machine can outlast
  // 50 ms (the decision is then the documented fail-safe), and the timeout is not the subject here:
  // the clock's and the breaker's (its default, 50 ms, bounds the first batch too).
  library: () => `${snippet('## Library').replace('timeoutMs: 50 }', 'timeoutMs: 10_000 }').replace('syncIntervalMs: 100,', 'syncIntervalMs: 100, timeoutMs: 10_000,')}\nconsole.log(JSON.stringify(decision));\n`,
  // The service snippet, on a free port instead of 8080; the test asks it one decision and closes it.
  service: () =>
    `${snippet('### In code').replace('port: 8080', 'port: 0')}
const answer = await app.inject({ method: 'POST', url: '/v1/ttl', payload: { baseTtl: 60, vixStatus: 'calm' } });
console.log(JSON.stringify({ status: answer.statusCode, body: answer.json(), admin: (await app.inject({ method: 'POST', url: '/v1/admin/reset', payload: {} })).statusCode }));
await app.close();\n`,
  // The adaptive cache snippet, type-checked only: it names the reader's own functions, declared here.
  cache: () => `declare const matchId: string;
declare function fetchOdds(id: string, options: { signal: AbortSignal }): Promise<{ home: number }>;
declare const vixStatus: 'calm' | 'elevated' | 'panic' | undefined;
declare function metrics(event: import('vix-ttl').CacheEvent): void;
declare const key: string;
declare function load(): Promise<{ home: number }>;
declare const input: import('vix-ttl').GetTtlInput;
${snippet('## The adaptive cache: a cache that obeys the panic')}
export { odds };\n`,
};

let packed: PackedPackage;
let server: RedisServer;
beforeAll(async () => {
  [packed, server] = await Promise.all([packPackage(), RedisServer.start()]);
}, 300_000); // packs and unpacks thousands of files (and builds dist/ first if src/ changed): seconds, more on a loaded machine; the time is not the subject
afterAll(async () => {
  await server?.stop();
  packed?.remove();
});

for (const major of [5, 6] as const) {
  describe(`a project with vix-ttl and ioredis ${major}`, () => {
    let project: string;
    /** What `tsc` said compiling the snippets with nodenext resolution (it emits out/ even with errors, so the run tests do not depend on the type tests). */
    let nodenextDiagnostics: string;
    beforeAll(async () => {
      project = consumerProject(packed, `consumer-ioredis${major}`, `ioredis${major}`, { type: 'module', private: true, dependencies: { 'vix-ttl': packed.manifest.version, ioredis: `^${major}` } });
      for (const [name, text] of Object.entries(SNIPPETS)) writeFileSync(join(project, `${name}.ts`), text());
      const files = Object.keys(SNIPPETS).map((name) => `${name}.ts`);
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...COMPILER, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' }, files }));
      writeFileSync(join(project, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...COMPILER, module: 'esnext', moduleResolution: 'bundler', noEmit: true }, files }));
      nodenextDiagnostics = await tsc(project, 'tsconfig.json');
    }, 120_000);

    it(`resolves ioredis to the real ioredis ${major}`, () => {
      const manifest = JSON.parse(readFileSync(join(project, 'node_modules/ioredis/package.json'), 'utf8')) as { name: string; version: string };
      expect(manifest.name).toBe('ioredis');
      expect(manifest.version.split('.')[0]).toBe(String(major));
    });

    it("the README's library, service and cache snippets type-check (strict, exactOptionalPropertyTypes, nodenext resolution)", () => {
      expect(nodenextDiagnostics).toBe('');
    });

    it("the README's library, service and cache snippets type-check (strict, exactOptionalPropertyTypes, bundler resolution)", async () => {
      expect(await tsc(project, 'tsconfig.bundler.json')).toBe('');
    }, 120_000);

    it("the README's library snippet runs against a real redis-server: a new panic in Ligue 1 is tier 1, stored once in Redis", async () => {
      const admin = server.client();
      await admin.flushall();
      const { stdout } = await run(process.execPath, ['out/library.js'], { cwd: project, env: { ...process.env, REDIS_URL: server.url }, timeout: 60_000 });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1, importance: 'medium_stakes', failSafe: false, nextTierInMin: expect.any(Number) });
      expect(await admin.get('brain:panic_start_ts:ligue-1')).toMatch(/^\d{10}\.\d{6}$/);
    }, 120_000);

    it("the README's service snippet runs: a calm decision, admin routes off without a token", async () => {
      const env = { ...process.env };
      delete env.VIX_TTL_ADMIN_TOKEN; // unset, as on a machine without tokens: the options receive undefined
      delete env.VIX_TTL_API_TOKEN;
      const { stdout } = await run(process.execPath, ['out/service.js'], { cwd: project, env, timeout: 60_000 }).catch((error: { stdout: string; stderr: string }) => {
        throw new Error(`service snippet failed: ${error.stderr}`);
      });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ status: 200, body: { ttl: 60, mode: 'NORMAL', tier: 0 }, admin: 403 });
    }, 120_000);

    it('the packed command line reads the shared clock through this ioredis', async () => {
      const admin = server.client();
      await admin.set('brain:panic_start_ts:cli-check', String(Math.floor(Date.now() / 1000) - 120));
      const { stdout } = await run(process.execPath, ['node_modules/vix-ttl/bin/vix-ttl.js', 'status', '--redis', server.url, '--scope', 'cli-check', '--json'], { cwd: project, timeout: 60_000 });
      expect(JSON.parse(stdout)).toMatchObject({ scope: 'cli-check', active: true });
    }, 120_000);

    it('the packed service (`vix-ttl serve --redis`) serves decisions and is ready through this ioredis', async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['node_modules/vix-ttl/bin/vix-ttl.js', 'serve', '--port', String(port), '--redis', server.url], { cwd: project, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no VIX_TTL_LISTENING within 60 s')), 60_000);
          createInterface({ input: child.stdout! }).on('line', (line) => {
            if (line.includes('"VIX_TTL_LISTENING"')) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
        });
        const base = `http://127.0.0.1:${port}`;
        let ready = await fetch(`${base}/readyz`);
        for (let i = 0; i < 100 && ready.status !== 200; i += 1) {
          await new Promise((r) => setTimeout(r, 100));
          ready = await fetch(`${base}/readyz`);
        }
        expect(ready.status).toBe(200);
        const decision = await fetch(`${base}/v1/ttl`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: `serve-${major}` }) });
        expect(await decision.json()).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1, failSafe: false });
        expect(await server.client().exists(`brain:panic_start_ts:serve-${major}`)).toBe(1);
      } finally {
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    }, 120_000);
  });
}
