import { hasCommand } from './redis-server.js';

/** What the test suite needs besides npm packages, and how to get it on Debian. */
const REQUIRED: Array<{ command: string; why: string; install: string }> = [
  { command: 'redis-server', why: 'tests run against a real Redis', install: 'apt-get install redis-server' },
  { command: 'redis-cli', why: 'the Redis Cluster test creates its cluster with it', install: 'apt-get install redis-tools' },
  { command: 'chromium', why: 'the dashboard is tested in a real headless Chromium', install: 'apt-get install chromium' },
  { command: 'promtool', why: 'metrics and alert rules are checked by promtool', install: 'apt-get install prometheus' },
];

/** Vitest global setup: stop at once, in plain words, when a tool is missing. */
export default function checkPrerequisites(): void {
  const missing = REQUIRED.filter((tool) => !hasCommand(tool.command));
  if (missing.length === 0) return;
  const lines = missing.map((tool) => `  - ${tool.command} (${tool.why}): ${tool.install}`);
  throw new Error(`npm test needs these programs, which are not on PATH:\n${lines.join('\n')}\nInstall them, or run \`bash .ci/run\`, which installs them and runs the tests.`);
}
