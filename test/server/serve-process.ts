import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { VIX_TTL_BIN } from '../support/vix-ttl-bin.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `vix-ttl serve` process and its JSON log lines. */
export interface ServeProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line whose `msg` is `msg`. */
  waitFor: (msg: string, timeoutMs?: number) => Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** `vix-ttl serve …` as a real process tree (the built binary), its JSON log lines collected. */
export function serve(args: string[], env: NodeJS.ProcessEnv = {}): ServeProcess {
  const child = spawn(process.execPath, [VIX_TTL_BIN, 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve: (line: Record<string, unknown>) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.msg === line.msg)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const waitFor = (msg: string, timeoutMs = 20_000) => {
    const seen = lines.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${msg} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      waiters.push({ msg, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, waitFor, exited };
}

/** Whether a process still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
