import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processRuns, processStartTime } from '../support/process-start.js';
import { RedisServer } from '../support/redis-server.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A real Node process (as a vitest worker is) that starts what `start` names from
 * test/support and prints the pids of the redis-servers it started, then idles.
 */
function starter(start: 'one' | 'cluster'): { child: ReturnType<typeof spawn>; pids: Promise<number[]> } {
  const code = [
    `const { RedisServer } = await import(${JSON.stringify(`${REPO}test/support/redis-server.ts`)});`,
    `const { RedisClusterFixture } = await import(${JSON.stringify(`${REPO}test/support/redis-cluster.ts`)});`,
    start === 'one' ? 'const servers = [await RedisServer.start()];' : 'const servers = (await RedisClusterFixture.start(3)).nodes;',
    'console.log(JSON.stringify(servers.map((s) => s.pid)));',
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const pids = new Promise<number[]>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as number[]));
    child.once('exit', (code, signal) => reject(new Error(`the starter exited (${code ?? signal}) before its servers were up: ${stderr}`)));
  });
  return { child, pids };
}

/** Polls until none of `pids` (as started at `starts`) runs, or `timeoutMs` passes; returns those still running. */
async function waitGone(pids: number[], starts: Array<string | undefined>, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter((pid, i) => processRuns(pid, starts[i]));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sigkillAndWatch(start: 'one' | 'cluster', count: number): Promise<void> {
  const { child, pids: started } = starter(start);
  let pids: number[] = [];
  let starts: Array<string | undefined> = [];
  try {
    pids = await started;
    starts = pids.map((pid) => processStartTime(pid));
    expect(pids).toHaveLength(count);
    expect(pids.every((pid, i) => processRuns(pid, starts[i]))).toBe(true);
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL'); // no exit handler runs
    await gone;
    // At rest the servers are gone within milliseconds: 20 s is a bound that holds on a loaded machine.
    expect(await waitGone(pids, starts, 20_000)).toEqual([]);
  } finally {
    child.kill('SIGKILL');
    for (const [i, pid] of pids.entries()) if (processRuns(pid, starts[i])) process.kill(pid, 'SIGKILL'); // without the guard, they would live on
  }
}

describe('a redis-server started by the tests never outlives the process that started it', () => {
  it('the process holding a RedisServer is SIGKILLed (no exit handler runs): its redis-server is gone within 20 s', async () => {
    await sigkillAndWatch('one', 1);
  }, 60_000);

  it('the same for the nodes of a RedisClusterFixture (redis-cluster.ts; redis-sentinel.ts starts its servers as RedisServer too)', async () => {
    await sigkillAndWatch('cluster', 3);
  }, 90_000);

  it('a server stopped the usual way takes its guard along (no process is left behind, none is killed later)', async () => {
    const server = await RedisServer.start();
    const pid = server.pid!;
    const guards = () => guardsOf(pid);
    expect(guards()).toHaveLength(1);
    await server.stop();
    expect(await waitFor(() => guards().length === 0, 20_000)).toBe(true);
  }, 60_000);
});

/** The pids of the guard processes (`sh -c … vix-ttl-redis-guard <pid> …`) watching `pid`. */
function guardsOf(pid: number): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      return [];
    }
    return argv[0] === 'sh' && argv[3] === 'vix-ttl-redis-guard' && argv[4] === String(pid) && processRuns(Number(entry)) ? [Number(entry)] : [];
  });
}

async function waitFor(test: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
