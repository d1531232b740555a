import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../support/redis-server.js';
import { scratchDir } from '../support/scratch-dir.js';
import { eventually } from './http-helpers.js';
import { alive, serve, type ServeProcess } from './serve-process.js';

// The crash budget of `serve --workers` set by flag and by config file reaches the real
// primary: worker processes killed with SIGKILL, the primary stopping (or not) as the
// budget and its window say. Flags win over the file.

const dir = mkdtempSync(join(scratchDir(), 'vix-restart-budget-'));
let redis: RedisServer;
const services: ServeProcess[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
}, 30_000);

afterEach(() => {
  for (const service of services.splice(0)) {
    if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const line of service.lines) if (typeof line.pid === 'number' && line.pid !== service.child.pid && alive(line.pid)) process.kill(line.pid, 'SIGKILL');
  }
});

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `serve --workers 2` on the test's redis-server with `config` as its config file and `flags`, once both workers listen; with their pids. */
async function cluster(name: string, config: unknown, flags: string[]): Promise<ServeProcess & { workers: number[] }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const service = serve(['--config', file, '--redis', redis.url, '--workers', '2', '--port', String(await freePort()), '--host', '127.0.0.1', ...flags]);
  services.push(service);
  const ready = await service.waitFor('VIX_TTL_CLUSTER_READY', 60_000); // starting two workers on a loaded machine is not the subject: generous
  // The primary's line, not the workers' own VIX_TTL_LISTENING lines, which may come after it.
  const workers = ready.pids as number[];
  expect(workers).toHaveLength(2);
  return Object.assign(service, { workers });
}

/** SIGKILLs a worker and waits for the primary's line about its exit (the primary dates the exit then). */
async function killWorker(service: ServeProcess, pid: number): Promise<Record<string, unknown>> {
  process.kill(pid, 'SIGKILL');
  await eventually(async () => service.lines.some((l) => l.pid === pid && l.signal === 'SIGKILL') || service.lines.some((l) => String(l.msg).startsWith('VIX_TTL_CRASH_LOOP')), 30_000, `the primary seeing worker ${pid} die`);
  return service.lines.find((l) => (l.pid === pid && l.signal === 'SIGKILL') || String(l.msg).startsWith('VIX_TTL_CRASH_LOOP'))!;
}

describe('serve --workers 2 --max-worker-restarts / --restart-window-ms: the primary spends the budget it is given (real processes, real redis-server)', () => {
  it('--max-worker-restarts 1 over a file saying 10: the first SIGKILLed worker is replaced, the second stops the service (exit 1, VIX_TTL_CRASH_LOOP)', async () => {
    const service = await cluster('max', { server: { maxWorkerRestarts: 10 } }, ['--max-worker-restarts', '1']);
    const [first, second] = service.workers;
    expect(await killWorker(service, first!)).toMatchObject({ msg: 'VIX_TTL_WORKER_CRASHED: restarting it', signal: 'SIGKILL' });
    expect(await killWorker(service, second!)).toMatchObject({ msg: 'VIX_TTL_CRASH_LOOP: workers keep exiting; stopping', exits: 2 });
    expect(await service.exited).toBe(1);
  }, 120_000);

  it('server.maxWorkerRestarts 0 in the file, no flag: the first SIGKILLed worker stops the service', async () => {
    const service = await cluster('file-max', { server: { maxWorkerRestarts: 0 } }, []);
    const [first] = service.workers;
    expect(await killWorker(service, first!)).toMatchObject({ msg: 'VIX_TTL_CRASH_LOOP: workers keep exiting; stopping', exits: 1 });
    expect(await service.exited).toBe(1);
  }, 120_000);

  it('--restart-window-ms 1000 over a file saying 600000 (budget 1): a second worker killed 2 s after the first is replaced, the service runs on', async () => {
    const service = await cluster('window', { server: { maxWorkerRestarts: 1, restartWindowMs: 600_000 } }, ['--restart-window-ms', '1000']);
    const [first, second] = service.workers;
    const crashed = await killWorker(service, first!);
    expect(crashed).toMatchObject({ msg: 'VIX_TTL_WORKER_CRASHED: restarting it' });
    // The primary dated the first exit when it logged it: wait until that is twice the window past.
    await eventually(async () => Date.now() - (crashed.time as number) > 2000, 10_000, 'two windows after the first exit');
    expect(await killWorker(service, second!)).toMatchObject({ msg: 'VIX_TTL_WORKER_CRASHED: restarting it', signal: 'SIGKILL' });
    const replacements = () => service.lines.filter((l) => l.msg === 'VIX_TTL_LISTENING' && l.pid !== first && l.pid !== second);
    await eventually(async () => replacements().length === 2, 60_000, 'both replacements listening');
    expect(service.child.exitCode).toBeNull();
    expect(service.lines.some((l) => String(l.msg).startsWith('VIX_TTL_CRASH_LOOP'))).toBe(false);
  }, 120_000);
});
