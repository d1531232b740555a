import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A real OS process running a TypeScript fixture through tsx, speaking JSON lines. */
export interface Worker {
  child: ChildProcess;
  /** Resolves with the next JSON line the worker prints. */
  next(): Promise<Record<string, unknown>>;
  send(message: unknown): void;
}

/** Starts `count` processes of a fixture under test/fixtures with the given arguments. */
export function spawnWorkers(fixture: string, count: number, args: string[] = []): Worker[] {
  return Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', `test/fixtures/${fixture}`, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const queue: Array<Record<string, unknown>> = [];
    const waiting: Array<{ resolve: (line: Record<string, unknown>) => void; reject: (error: Error) => void }> = [];
    let exited: Error | null = null;
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else queue.push(line);
    });
    // One exit listener per worker, whatever the number of calls to next().
    child.once('exit', (code, signal) => {
      exited = new Error(`worker exited with ${code ?? signal} before answering`);
      for (const waiter of waiting.splice(0)) waiter.reject(exited);
    });
    return {
      child,
      next: () => {
        const line = queue.shift();
        if (line) return Promise.resolve(line);
        if (exited) return Promise.reject(exited);
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      },
      send: (message) => child.stdin!.write(`${JSON.stringify(message)}\n`),
    };
  });
}

/** Ends every worker. */
export function stopWorkers(workers: Worker[]): void {
  for (const worker of workers) worker.child.kill('SIGKILL');
}

/** Spawns the workers and resolves once every one has printed `{ ready: true }`. */
export async function startWorkers(fixture: string, count: number, args: string[] = []): Promise<Worker[]> {
  const workers = spawnWorkers(fixture, count, args);
  const ready = await Promise.all(workers.map((w) => w.next()));
  if (!ready.every((line) => line.ready === true)) {
    stopWorkers(workers);
    throw new Error(`${fixture}: a worker did not report ready: ${JSON.stringify(ready)}`);
  }
  return workers;
}
