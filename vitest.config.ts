import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import CostSequencer from './test/support/cost-sequencer.js';
import { testFileNeeds } from './test/support/tools.js';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
// Which test files need a program besides Node (redis-server, redis-cli, chromium, promtool) is read
// from their code (test/support/tools.ts): no list to keep by hand.
const needs = testFileNeeds(ROOT);
// Tests that run `vix-ttl` as a real process run the built binary: dist/ is rebuilt first when src/ is newer.
const BUILD = 'test/support/vix-ttl-bin.ts';
const services = [...needs].filter(([, tools]) => tools.length > 0).map(([file]) => file);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    sequence: { sequencer: CostSequencer },
    reporters: ['./test/support/summary-reporter.ts', 'default'],
    // `fetch` checks every answer of the service against its OpenAPI document (the shared HTTP helpers do it themselves).
    setupFiles: ['./test/support/fetch-conformance.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 90, branches: 85 },
    },
    projects: [
      // `npm run test:unit`: every test that needs no program besides Node.
      { extends: true, test: { name: 'unit', pool: 'threads', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...services], globalSetup: [BUILD] } },
      // The rest: real Redis, Chromium and promtool. Stops at once, naming what is missing.
      { extends: true, test: { name: 'services', include: services, globalSetup: ['test/support/prerequisites.ts', BUILD] } },
    ],
  },
});
