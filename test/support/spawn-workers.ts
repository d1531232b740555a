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
    const waiting: Array<(line: Record<string, unknown>) => void> = [];
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      const resolve = waiting.shift();
      if (resolve) resolve(line);
      else queue.push(line);
    });
    return {
      child,
      next: () => {
        const line = queue.shift();
        if (line) return Promise.resolve(line);
        return new Promise((resolve, reject) => {
          waiting.push(resolve);
          child.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
        });
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
