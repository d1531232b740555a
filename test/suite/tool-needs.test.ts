import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pathWithout } from '../support/path-without.js';
import { hasCommand, testFileNeeds, TOOLS } from '../support/tools.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

describe('which tests need redis-server, redis-cli, chromium or promtool is read from their code', () => {
  const needs = testFileNeeds(ROOT);

  it('pure tests need nothing; a test that starts a redis-server, drives Chromium or runs promtool needs it, through any chain of local imports', () => {
    expect(needs.get('test/policy/adaptive-panic-quota.test.ts')).toEqual([]);
    expect(needs.get('test/clock/memory-panic-clock.test.ts')).toEqual([]);
    expect(needs.get('test/server/http.test.ts')).toEqual([]);
    expect(needs.get('test/clock/redis-panic-clock.test.ts')).toEqual(['redis-server']); // through test/support/redis-server.ts
    expect(needs.get('test/scale/redis-cluster.test.ts')).toEqual(['redis-cli', 'redis-server']); // through redis-cluster.ts, which imports redis-server.ts
    expect(needs.get('test/web/dashboard.test.ts')).toEqual(['chromium']); // playwright-core
    expect(needs.get('test/ops/promtool.test.ts')).toContain('promtool');
    expect(needs.get('test/suite/tool-needs.test.ts')).toEqual([]); // naming the tools is not needing them
  });

  it('a new file is classified without editing any list', () => {
    // Names joined at run time, so that this file's own code neither runs nor imports them.
    const [promtool, playwright] = [['prom', 'tool'].join(''), ['playwright', 'core'].join('-')];
    const root = mkdtempSync(join(tmpdir(), 'vix-ttl-needs-'));
    try {
      mkdirSync(join(root, 'test', 'support'), { recursive: true });
      mkdirSync(join(root, 'test', 'a'));
      writeFileSync(join(root, 'test', 'support', 'rules.ts'), `import { execFileSync } from 'node:child_process';\nexport const check = () => execFileSync(\n  '${promtool}', ['check', 'rules']);\n`);
      writeFileSync(join(root, 'test', 'support', 'helper.ts'), "export { check } from './rules.js';\n");
      writeFileSync(join(root, 'test', 'a', 'uses-helper.test.ts'), "import { check } from '../support/helper.js';\ncheck();\n");
      writeFileSync(join(root, 'test', 'a', 'pure.test.ts'), "import { describe } from 'vitest';\n// spawns nothing: 'redis-server' in a comment or a name is not a need\ndescribe('redis-server', () => {});\n");
      writeFileSync(join(root, 'test', 'a', 'lazy.test.ts'), `const { chromium } = await import('${playwright}');\n`);
      expect(Object.fromEntries(testFileNeeds(root))).toEqual({
        'test/a/lazy.test.ts': ['chromium'],
        'test/a/pure.test.ts': [],
        'test/a/uses-helper.test.ts': ['promtool'],
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('on a machine with none of the tools', () => {
  const hidden = pathWithout(TOOLS.map((tool) => tool.command));
  afterAll(() => hidden.cleanup());

  it('the PATH used to prove it really hides them, and only them', () => {
    const env = { ...process.env, PATH: hidden.path };
    for (const tool of TOOLS) expect(hasCommandOn(env, tool.command), tool.command).toBe(false);
    expect(hasCommandOn(env, 'sh')).toBe(true);
    expect(hasCommand('node') || hasCommandOn(env, 'node')).toBe(true);
  });

  it('npm test stops at once, names each missing program with the tests that need it, and ends "0 passed, 1 failed" with exit code 1', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [VITEST, 'run', 'test/ops/promtool.test.ts', 'test/web/dashboard.test.ts'],
        { cwd: ROOT, env: { ...process.env, PATH: hidden.path, CI: 'true', FORCE_COLOR: '0' }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toContain('npm test needs these programs, which are not on PATH');
    for (const tool of TOOLS) expect(output).toContain(`- ${tool.command} (`);
    expect(output).toMatch(/- promtool \(.*\): apt-get install prometheus\n\s+needed by .*test\/ops\/promtool\.test\.ts/);
    expect(output).toMatch(/- chromium \(.*\): apt-get install chromium\n\s+needed by .*test\/web\/dashboard\.test\.ts/);
    expect(output).toContain('npm run test:unit');
    expect(run.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
    expect(run.code).toBe(1);
  });
});

function hasCommandOn(env: NodeJS.ProcessEnv, command: string): boolean {
  const saved = process.env.PATH;
  process.env.PATH = env.PATH;
  try {
    return hasCommand(command);
  } finally {
    process.env.PATH = saved;
  }
}
