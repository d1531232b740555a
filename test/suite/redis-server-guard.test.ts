import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processRuns, processStartTime } from '../support/process-start.js';
import { RedisServer } from '../support/redis-server.js';
import { scratchDir } from '../support/scratch-dir.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A real Node process (as a vitest worker is) that starts what `start` names from
 * test/support and prints the pids of the redis-servers it started, then idles.
 */
function starter(start: 'one' | 'cluster' | 'forked'): { child: ReturnType<typeof spawn>; pids: Promise<number[]> } {
  if (start === 'forked') {
    // A run's process forking a worker with an IPC channel (vitest's pool: forks); the worker starts the server.
    const dir = mkdtempSync(join(scratchDir(), 'vix-redis-guard-'));
    const worker = join(dir, 'worker.mjs');
    writeFileSync(worker, [`const { RedisServer } = await import(${JSON.stringify(`${REPO}test/support/redis-server.ts`)});`, 'const server = await RedisServer.start();', 'process.send([server.pid, process.pid]);', 'setInterval(() => {}, 1000);'].join('\n'));
    const run = [
      "const { fork } = await import('node:child_process');",
      `const worker = fork(${JSON.stringify(worker)}, [], { execArgv: ['--import', 'tsx'], cwd: ${JSON.stringify(REPO)} });`,
      "worker.once('message', (pids) => console.log(JSON.stringify(pids)));",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const started = watch(spawn(process.execPath, ['--input-type=module', '-e', run], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] }));
    started.child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return started;
  }
  const code = [
    `const { RedisServer } = await import(${JSON.stringify(`${REPO}test/support/redis-server.ts`)});`,
    `const { RedisClusterFixture } = await import(${JSON.stringify(`${REPO}test/support/redis-cluster.ts`)});`,
    start === 'one' ? 'const servers = [await RedisServer.start()];' : 'const servers = (await RedisClusterFixture.start(3)).nodes;',
    'console.log(JSON.stringify(servers.map((s) => s.pid)));',
    'setInterval(() => {}, 1000);',
  ].join('\n');
  return watch(spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** The first line of the starter's output: the pids it printed. */
function watch(child: ReturnType<typeof spawn>): { child: ReturnType<typeof spawn>; pids: Promise<number[]> } {
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

  it('the run\'s process is SIGKILLed while its forked worker (IPC, as vitest\'s pool: forks) holds a RedisServer: its redis-server is gone within 20 s (the orphaned worker may live on, idle)', async () => {
    const { child, pids: started } = starter('forked');
    let redisPid: number | undefined;
    let workerPid: number | undefined;
    let start: string | undefined;
    try {
      [redisPid, workerPid] = await started;
      start = processStartTime(redisPid!);
      expect(processRuns(redisPid!, start)).toBe(true);
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
      expect(await waitGone([redisPid!], [start], 20_000)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      if (workerPid !== undefined && processRuns(workerPid)) process.kill(workerPid, 'SIGKILL'); // the orphaned worker is this test's to end
      if (redisPid !== undefined && processRuns(redisPid, start)) process.kill(redisPid, 'SIGKILL');
    }
  }, 60_000);

  it('a server stopped the usual way takes its guard along (no process is left behind, none is killed later)', async () => {
    const server = await RedisServer.start();
    const pid = server.pid!;
    const guards = () => guardsOf(pid);
    try {
      expect(guards()).toHaveLength(1);
    } finally {
      await server.stop(); // a worker ended by a signal runs no exit handler: a failed expectation must not leave the server behind
    }
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
