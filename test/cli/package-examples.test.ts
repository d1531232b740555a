import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the examples ship in the npm package', () => {
  it('npm pack holds every file of examples/ (the tick files README replays and the config file)', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { maxBuffer: 16 * 1024 * 1024 });
    const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const packed = pack!.files.map((f) => f.path).filter((path) => path.startsWith('examples/'));
    expect(packed.sort()).toEqual(readdirSync('examples').map((name) => `examples/${name}`).sort());
    expect(packed).toEqual(expect.arrayContaining(['examples/goal-shock.jsonl', 'examples/calm-day.csv', 'examples/volatile-evening.csv', 'examples/vix-ttl.json']));
  }, 60_000);
});
