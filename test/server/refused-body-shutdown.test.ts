import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('a refused body’s lingering connection does not cut a shutdown short (a real process)', () => {
  it('app.close() resolves once the linger ends, in a process with nothing else to do: the code after it runs', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/close-after-refusal.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    // Before: the linger's timer was unref'd, so the event loop emptied and the process exited 0 with app.close() pending ('closed' never printed).
    expect(stdout.split('\n')).toEqual(['refused', 'closed', '']);
    expect(code).toBe(0);
  }, 60_000);
});
