import { fileURLToPath } from 'node:url';
import { hasCommand, testFileNeeds, TOOLS } from './tools.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Vitest global setup of the `services` project: stop at once, in plain words, when
 * a program its tests need is missing, naming the program, the tests that need it
 * and how to install it.
 */
export default function checkPrerequisites(): void {
  const missing = TOOLS.filter((tool) => !hasCommand(tool.command));
  if (missing.length === 0) return;
  const needs = [...testFileNeeds(ROOT)];
  const lines = missing.map((tool) => {
    const files = needs.filter(([, tools]) => tools.includes(tool.command)).map(([file]) => file);
    return `  - ${tool.command} (${tool.why}): ${tool.install}\n      needed by ${files.join(', ') || 'no test file'}`;
  });
  throw new Error(
    `npm test needs these programs, which are not on PATH:\n${lines.join('\n')}\n` +
      'Install them, or run `bash .ci/run`, which installs them and runs the tests. `npm run test:unit` runs the tests that need none of them.',
  );
}
