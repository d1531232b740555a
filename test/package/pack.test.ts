import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerProject, packPackage, ROOT, type PackedPackage } from '../support/packed-package.js';
import { scratchDir } from '../support/scratch-dir.js';
import { buildScriptTscArguments } from '../support/vix-ttl-bin.js';

const run = promisify(execFile);
/** Packages only the service may load. */
const SERVER_PACKAGES = /\/node_modules\/(fastify|@fastify\/[^/]+|prom-client|uplot)\//;
let packed: PackedPackage;
let consumer: string;
beforeAll(async () => {
  packed = await packPackage();
  consumer = consumerProject(packed, 'consumer', 'ioredis6');
}, 300_000); // packs and unpacks thousands of files (and builds dist/ first if src/ changed): seconds, more on a loaded machine; the time is not the subject
afterAll(() => packed?.remove());

/** Runs a script in the consumer project with Node, ESM or CommonJS; resolves with stdout, rejects with the process's error. */
async function node(code: string, type: 'module' | 'commonjs' = 'module'): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type', type, '-e', code], { cwd: consumer });
  return stdout.trim();
}

describe('the packed files', () => {
  it('hold the license, the changelog, the readme, the build and the sources its maps point to', () => {
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/server/index.js', 'dist/server/index.d.ts', 'bin/vix-ttl.js', 'src/index.ts', 'src/web/index.html']) {
      expect(packed.files).toContain(file);
    }
  });

  it('hold nothing of the repository besides the examples (no tests, benches, scripts, CI, configs)', () => {
    const outside = packed.files.filter((file) => !/^(dist|src|bin|examples)\//.test(file) && !['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json'].includes(file));
    expect(outside).toEqual([]);
  });

  it('the license is MIT, as package.json says', () => {
    expect(packed.manifest.license).toBe('MIT');
    const license = readFileSync(join(packed.packageDir, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the vix-ttl authors\n/);
    expect(license).toContain('Permission is hereby granted, free of charge');
  });

  it('the changelog keeps an Unreleased section (Keep a Changelog)', () => {
    const changelog = readFileSync(join(packed.packageDir, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog\n/);
    expect(changelog).toContain('https://keepachangelog.com/');
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
  });

  it('dist/ holds only what src/ compiles to: a .js, a .d.ts and their maps per module, nothing else', () => {
    const built = packed.files.filter((file) => file.startsWith('dist/'));
    const sources = new Set(packed.files.filter((file) => file.startsWith('src/') && file.endsWith('.ts')).map((file) => file.replace(/^src\//, '').replace(/\.ts$/, '')));
    expect(sources.size).toBeGreaterThan(50);
    expect(built.filter((file) => !sources.has(file.replace(/^dist\//, '').replace(/\.(?:js|d\.ts)(?:\.map)?$/, '')))).toEqual([]);
    expect(built.length).toBe(4 * sources.size);
  });

  it('npm run build empties dist/ first (a module moved away in src/ leaves nothing behind), then runs the tsc the suite builds with', () => {
    expect(buildScriptTscArguments(ROOT)).toContain('tsconfig.build.json');
    const repository = mkdtempSync(join(scratchDir(), 'vix-ttl-clean-'));
    try {
      mkdirSync(join(repository, 'scripts'));
      copyFileSync(join(ROOT, 'scripts', 'clean-dist.js'), join(repository, 'scripts', 'clean-dist.js'));
      mkdirSync(join(repository, 'dist', 'moved-away'), { recursive: true });
      writeFileSync(join(repository, 'dist', 'moved-away', 'old-module.js'), 'export const stale = true;\n');
      writeFileSync(join(repository, 'dist', 'index.js'), '');
      execFileSync(process.execPath, ['scripts/clean-dist.js'], { cwd: repository });
      expect(existsSync(join(repository, 'dist'))).toBe(false);
      expect(existsSync(join(repository, 'scripts', 'clean-dist.js'))).toBe(true);
    } finally {
      rmSync(repository, { recursive: true, force: true });
    }
  });

  it('every source map resolves: each file it maps from is in the package', () => {
    const maps = packed.files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(100); // a .js.map and a .d.ts.map per module
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(readFileSync(join(packed.packageDir, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const source of sources) {
        const resolved = normalize(join(dirname(map), sourceRoot, source));
        if (!packed.files.includes(resolved)) unresolved.push(`${map} → ${source}`);
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('every .js and .d.ts names a map that is in the package', () => {
    const missing: string[] = [];
    for (const file of packed.files.filter((f) => f.startsWith('dist/') && /\.(js|d\.ts)$/.test(f))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(packed.packageDir, file), 'utf8'))?.[1];
      if (url === undefined || !packed.files.includes(normalize(join(dirname(file), url)))) missing.push(file);
    }
    expect(missing).toEqual([]);
  });

  it('ioredis is a peer (5 or 6), not a dependency; @opentelemetry/api an optional peer; the library declares no side effects', () => {
    expect(packed.manifest.peerDependencies).toEqual({ ioredis: '^5 || ^6', '@opentelemetry/api': '^1.3.0' });
    expect(packed.manifest.peerDependenciesMeta).toEqual({ '@opentelemetry/api': { optional: true } });
    expect(packed.manifest.dependencies).not.toHaveProperty('ioredis');
    expect(packed.manifest.sideEffects).toBe(false);
  });
});

describe('the entry points, from a consumer project', () => {
  it("import 'vix-ttl' gives the library, 'vix-ttl/server' the service", async () => {
    const out = await node(`
      const lib = await import('vix-ttl');
      const server = await import('vix-ttl/server');
      console.log(JSON.stringify({ lib: ['VixCircuitBreaker', 'AdaptiveCache', 'VixEngine', 'VixPublisher', 'RedisPanicClock', 'AdaptivePanicQuota'].filter((n) => typeof lib[n] === 'function'),
        libHasServer: 'createServer' in lib, server: ['createServer', 'ServiceMetrics', 'cacheMetricsHooks'].filter((n) => typeof server[n] === 'function') }));`);
    expect(JSON.parse(out)).toEqual({
      lib: ['VixCircuitBreaker', 'AdaptiveCache', 'VixEngine', 'VixPublisher', 'RedisPanicClock', 'AdaptivePanicQuota'],
      libHasServer: false,
      server: ['createServer', 'ServiceMetrics', 'cacheMetricsHooks'],
    });
  });

  it("import 'vix-ttl' loads no module of fastify, @fastify/*, prom-client or uplot (every module resolution watched)", async () => {
    const hooks = join(consumer, 'watch-hooks.mjs');
    writeFileSync(hooks, `export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      if (context.parentURL) process.stdout.write(result.url + '\\n');
      return result;
    }\n`);
    const loaded = async (entry: string) => {
      const { stdout } = await run(process.execPath, ['--import', `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(`file://${hooks}`)});`, '--input-type', 'module', '-e', `await import('${entry}')`], { cwd: consumer });
      return stdout.split('\n').filter(Boolean);
    };
    const library = await loaded('vix-ttl');
    const service = await loaded('vix-ttl/server');
    expect(library.length).toBeGreaterThan(20);
    expect(library.filter((url) => SERVER_PACKAGES.test(url))).toEqual([]);
    expect(library.filter((url) => /\/vix-ttl\/dist\/(server|cli)\//.test(url))).toEqual([]);
    expect(service.filter((url) => SERVER_PACKAGES.test(url)).length).toBeGreaterThan(0); // the watch sees them when they load
  });

  it("require('vix-ttl') works where Node can require an ES module (20.19+, 22.12+), and says why where it cannot", async () => {
    const code = `const lib = require('vix-ttl'); const server = require('vix-ttl/server'); console.log(typeof lib.VixCircuitBreaker, typeof server.createServer, 'createServer' in lib);`;
    if (process.features.require_module) {
      expect(await node(code, 'commonjs')).toBe('function function false');
    } else {
      await expect(node(code, 'commonjs')).rejects.toThrow(/ERR_REQUIRE_ESM/);
    }
  });

  it("'vix-ttl/opentelemetry' needs @opentelemetry/api: without it the import fails naming it, with it the instrumentation is there", async () => {
    await expect(node(`await import('vix-ttl/opentelemetry')`)).rejects.toThrow(/Cannot find package '@opentelemetry\/api'/);
    const withApi = consumerProject(packed, 'consumer-otel', 'ioredis6');
    mkdirSync(join(withApi, 'node_modules', '@opentelemetry'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@opentelemetry', 'api'), join(withApi, 'node_modules', '@opentelemetry', 'api'), 'dir');
    const { stdout } = await run(process.execPath, ['--input-type', 'module', '-e', `const o = await import('vix-ttl/opentelemetry'); const lib = await import('vix-ttl'); const t = o.instrumentOpenTelemetry({ breaker: new lib.VixCircuitBreaker({ clock: null }) }); console.log(typeof o.instrumentOpenTelemetry, t.active); t.dispose();`], { cwd: withApi });
    expect(stdout.trim()).toBe('function false');
  });

  it('deep imports are refused: the three entry points (and package.json) are the whole public surface', async () => {
    await expect(node(`await import('vix-ttl/dist/breaker/vix-circuit-breaker.js')`)).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    await expect(node(`await import('vix-ttl/src/index.ts')`)).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    expect(await node(`import { createRequire } from 'node:module'; console.log(createRequire(import.meta.url)('vix-ttl/package.json').name)`)).toBe('vix-ttl');
  });
});

describe('bundles of the packed package (esbuild, as an application would bundle it)', () => {
  const bundle = async (contents: string): Promise<{ bytes: number; inputs: string[]; used: string[] }> => {
    const result = await build({ stdin: { contents, resolveDir: consumer, loader: 'js' }, bundle: true, metafile: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent' });
    const output = Object.values((result.metafile as Metafile).outputs)[0]!;
    return {
      bytes: result.outputFiles[0]!.contents.length,
      inputs: Object.keys(result.metafile.inputs),
      used: Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path.replace(/^.*node_modules\//, '')).sort(),
    };
  };

  it("the whole of 'vix-ttl' holds no fastify, @fastify/*, prom-client or uplot; the service does", async () => {
    const library = await bundle("export * from 'vix-ttl';");
    const service = await bundle("export * from 'vix-ttl/server';");
    expect(library.inputs.filter((path) => SERVER_PACKAGES.test(`/${path}`))).toEqual([]);
    expect(service.inputs.filter((path) => SERVER_PACKAGES.test(`/${path}`)).length).toBeGreaterThan(0);
  }, 60_000);

  it("{ VixCircuitBreaker } from 'vix-ttl' bundles exactly the modules of the breaker alone (sideEffects: false lets the rest go)", async () => {
    const throughEntry = await bundle("export { VixCircuitBreaker } from 'vix-ttl';");
    const alone = await bundle(`export { VixCircuitBreaker } from ${JSON.stringify(join(consumer, 'node_modules/vix-ttl/dist/breaker/vix-circuit-breaker.js'))};`);
    expect(throughEntry.used).toEqual(alone.used);
    expect(throughEntry.bytes).toBeLessThanOrEqual(alone.bytes * 1.01);
  }, 60_000);
});
