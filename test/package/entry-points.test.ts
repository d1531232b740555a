import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The library entry must load nothing of the service. esbuild follows every static
// import from an entry (the whole graph a `node` process would load); its metafile
// lists each file it read. This runs on src/ (no build needed); pack.test.ts checks the
// same on the packed dist/ and watches a real `import('vix-ttl')`.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function inputsOf(entry: string): Promise<string[]> {
  const result = await build({ entryPoints: [`${ROOT}${entry}`], bundle: true, metafile: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
  return Object.keys(result.metafile.inputs);
}

const packageOf = (input: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? null;

describe("the library entry, 'vix-ttl' (src/index.ts)", () => {
  it('loads no module of fastify, @fastify/*, prom-client or uplot', async () => {
    const packages = new Set((await inputsOf('src/index.ts')).map(packageOf).filter((p) => p !== null));
    expect([...packages].filter((p) => /^(fastify|@fastify\/.+|prom-client|uplot)$/.test(p))).toEqual([]);
    expect(packages.has('zod')).toBe(true); // the check sees the packages the library does load
  }, 60_000);

  it('loads no module of the service, the command line, or ioredis (the caller passes its own client)', async () => {
    const inputs = await inputsOf('src/index.ts');
    expect(inputs.filter((input) => /^src\/(server|cli)\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => packageOf(input) === 'ioredis')).toEqual([]);
    expect(inputs).toContain('src/breaker/vix-circuit-breaker.ts');
  }, 60_000);
});

describe('OpenTelemetry, an optional peer', () => {
  const OTEL = /^@opentelemetry\//;

  it("'vix-ttl' loads no @opentelemetry module", async () => {
    const packages = (await inputsOf('src/index.ts')).map(packageOf).filter((p): p is string => p !== null);
    expect(packages.filter((p) => OTEL.test(p))).toEqual([]);
  }, 60_000);

  it("no module of 'vix-ttl/server' imports @opentelemetry statically (the service imports the API at run time, when it resolves; prom-client's own import of it is prom-client's)", async () => {
    const result = await build({ entryPoints: [`${ROOT}src/server/index.ts`], bundle: true, metafile: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    const ours = Object.entries(result.metafile.inputs).filter(([input]) => input.startsWith('src/'));
    expect(ours.length).toBeGreaterThan(50);
    expect(ours.flatMap(([input, { imports }]) => imports.filter((i) => OTEL.test(packageOf(i.path) ?? '')).map((i) => `${input} → ${i.path}`))).toEqual([]);
  }, 60_000);

  it("'vix-ttl/opentelemetry' (src/otel/index.ts) is where @opentelemetry/api is loaded, and nothing of the service", async () => {
    const inputs = await inputsOf('src/otel/index.ts');
    expect(inputs.map(packageOf)).toContain('@opentelemetry/api');
    expect(inputs.filter((input) => /^src\/(server|cli)\//.test(input))).toEqual([]);
  }, 60_000);
});

describe("the service entry, 'vix-ttl/server' (src/server/index.ts)", () => {
  it('is where fastify, @fastify/helmet and prom-client are loaded', async () => {
    const packages = new Set((await inputsOf('src/server/index.ts')).map(packageOf));
    expect(['fastify', '@fastify/helmet', 'prom-client'].filter((p) => !packages.has(p))).toEqual([]);
  }, 60_000);
});
