// `npm run test:unit`: every test that needs no program besides Node, run on a PATH
// where redis-server, redis-cli, chromium and promtool cannot be found, so a pure
// test that starts needing one of them fails here at once instead of passing only on
// machines that happen to have it.
//
//   npm run test:unit
//   npm run test:unit -- test/policy        # extra arguments go to vitest
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathWithout } from '../test/support/path-without.js';
import { TOOLS } from '../test/support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

const hidden = pathWithout(TOOLS.map((tool) => tool.command));
console.log(`test:unit: the tests that need none of ${TOOLS.map((tool) => tool.command).join(', ')}, which are hidden from PATH`);
// Two files per core: many of them mostly wait on a child process (the CLI, tsc, a child Vitest).
// As many workers at least as at most: Tinypool retires an idle worker above the minimum
// on a timer, which can end a worker that has just been given a file.
const workers = String(availableParallelism() * 2);
// Without isolation each worker loads fastify, prom-client, zod… once, not once per file:
// a quarter less CPU. (Set here: Vitest 3.2 sizes its pool from the root options, so a
// project's `isolate` is not read.) `npm test` still runs these files isolated.
const child = spawn(process.execPath, [VITEST, 'run', '--project', 'unit', '--no-isolate', `--maxWorkers=${workers}`, `--minWorkers=${workers}`, ...process.argv.slice(2)], {
  cwd: ROOT,
  env: { ...process.env, PATH: hidden.path },
  stdio: 'inherit',
});
const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
process.once('SIGINT', forward('SIGINT'));
process.once('SIGTERM', forward('SIGTERM'));
child.once('exit', (code, signal) => {
  hidden.cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
