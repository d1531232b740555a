import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/redis-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A `vix-ttl serve` process tree run from the built package, as in production. */
export interface ServeUnderTest {
  url: string;
  /** Worker pids, from the primary's VIX_TTL_CLUSTER_READY line (the one process's pid for one worker). */
  pids: number[];
  /** The pid of the process started: the cluster primary with workers, else the one process (also in `pids`). */
  mainPid: number;
  /** Every JSON log line seen so far. */
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/**
 * Builds dist/ and starts `serve --workers N --redis URL` on a free port (one process
 * for N = 1), with any further flags.
 */
export async function startServe(redisUrl: string, workers: number, flags: string[] = []): Promise<ServeUnderTest> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const port = await freePort();
  const readyMessage = workers > 1 ? 'VIX_TTL_CLUSTER_READY' : 'VIX_TTL_LISTENING';
  // SERVE_NODE_ARGS: node flags for the service (its workers inherit them), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const child: ChildProcess = spawn(process.execPath, [...(process.env.SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean), 'bin/vix-ttl.js', 'serve', '--workers', String(workers), '--redis', redisUrl, '--port', String(port), ...flags], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not get ready: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === readyMessage) {
          clearTimeout(timer);
          resolve(line);
        }
      } catch {
        // not a log line
      }
    });
  });
  const readyLine = await ready;
  return {
    url: `http://127.0.0.1:${port}`,
    pids: (readyLine.pids as number[] | undefined) ?? [child.pid!],
    mainPid: child.pid!,
    lines,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Resident set size of a process in bytes, from /proc (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    const status = execFileSync('cat', [`/proc/${pid}/status`]).toString();
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
