import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the cluster fixture to its end: its exit code and the primary's JSON log lines (read to the last one). */
async function runPrimary(args: string[]): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cluster-primary.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, lines: stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('the cluster primary supervises its workers (real node:cluster processes)', () => {
  it('replaces every worker that exits 0 without being asked, counts it against the restart budget, and exits 1 once the budget is spent', async () => {
    // 2 workers, budget of 3 unrequested exits; every worker exits 0 by itself 200 ms after it starts.
    const { code, lines } = await runPrimary(['2', '3', '200']);
    const msgs = lines.map((line) => String(line.msg));
    expect(msgs.filter((m) => m.startsWith('VIX_TTL_WORKER_EXITED'))).toHaveLength(3); // each replaced…
    for (const line of lines.filter((l) => String(l.msg).startsWith('VIX_TTL_WORKER_EXITED'))) expect(line).toMatchObject({ code: 0, signal: null });
    expect(lines.find((l) => String(l.msg).startsWith('VIX_TTL_CRASH_LOOP'))).toMatchObject({ exits: 4 }); // …until the 4th
    expect(lines.at(-1)).toMatchObject({ msg: 'VIX_TTL_CLUSTER_STOPPED', exit_code: 1 });
    expect(code).toBe(1); // a primary left without workers never exits 0
  }, 60_000);
});
