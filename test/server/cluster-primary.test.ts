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
  // 2 workers, budget of 3 unrequested exits; every worker exits 0 by itself 200 ms after it starts. One run, read by both tests.
  let run: ReturnType<typeof runPrimary> | undefined;
  const exitingWorkers = () => (run ??= runPrimary(['2', '3', '200']));

  it('replaces every worker that exits 0 without being asked, counts it against the restart budget, and exits 1 once the budget is spent', async () => {
    const { code, lines } = await exitingWorkers();
    const msgs = lines.map((line) => String(line.msg));
    expect(msgs.filter((m) => m.startsWith('VIX_TTL_WORKER_EXITED'))).toHaveLength(3); // each replaced…
    for (const line of lines.filter((l) => String(l.msg).startsWith('VIX_TTL_WORKER_EXITED'))) expect(line).toMatchObject({ code: 0, signal: null });
    expect(lines.find((l) => String(l.msg).startsWith('VIX_TTL_CRASH_LOOP'))).toMatchObject({ exits: 4 }); // …until the 4th
    expect(lines.at(-2)).toMatchObject({ msg: 'VIX_TTL_CLUSTER_STOPPED', exit_code: 1 });
    expect(code).toBe(1); // a primary left without workers never exits 0
  }, 60_000);

  it('exports the crash budget and its use: workers wanted and live, restarts by reason, unrequested exits in the window against the budget', async () => {
    const { lines } = await exitingWorkers();
    const text = String(lines.find((l) => l.msg === 'PRIMARY_METRICS')?.text);
    expect(text).toMatch(/^vix_ttl_cluster_workers_wanted 2$/m);
    expect(text).toMatch(/^vix_ttl_cluster_workers 0$/m); // all gone once the budget was spent
    expect(text).toMatch(/^vix_ttl_worker_restarts_total\{reason="exit"\} 3$/m);
    expect(text).toMatch(/^vix_ttl_worker_restarts_total\{reason="crash"\} 0$/m);
    expect(text).toMatch(/^vix_ttl_cluster_worker_exits_max 3$/m);
    expect(text).toMatch(/^vix_ttl_cluster_worker_exits_in_window 4$/m); // the 4th exit, past the budget, stopped the service
  }, 60_000);
});
