import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    expect(service.lines.filter(unusedWarning)).toEqual([]); // with workers, the key is in force: no warning
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

/** The warning `serve` logs for crash-budget keys of the config file that one process ignores. */
const unusedWarning = (line: Record<string, unknown>) => String(line.msg).startsWith('VIX_TTL_CONFIG_UNUSED');

describe('server.maxWorkerRestarts / server.restartWindowMs in the config file with one process: not refused (the example sets them with workers: 1), but one WARN says they are ignored', () => {
  /** `serve` of one process with `config` as its config file (plus `flags`), once it listens; then SIGTERMed, its exit code checked. */
  async function oneProcess(config: string, flags: string[] = []): Promise<Array<Record<string, unknown>>> {
    const service = serve(['--config', config, '--port', String(await freePort()), '--host', '127.0.0.1', ...flags]);
    services.push(service);
    await service.waitFor('VIX_TTL_LISTENING', 60_000); // starting a process on a loaded machine is not the subject: generous
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    return service.lines;
  }

  function file(name: string, config: unknown): string {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(config));
    return path;
  }

  it('both keys and server.workers 1: one WARN before VIX_TTL_LISTENING naming both keys and --workers > 1; the service starts and stops as usual', async () => {
    const lines = await oneProcess(file('one-both', { server: { workers: 1, maxWorkerRestarts: 3, restartWindowMs: 60_000 } }));
    const warnings = lines.filter(unusedWarning);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, keys: ['server.maxWorkerRestarts', 'server.restartWindowMs'], workers: 1 });
    expect(warnings[0]!.msg).toMatch(/server\.maxWorkerRestarts and server\.restartWindowMs .*only with --workers > 1/);
    expect(lines.indexOf(warnings[0]!)).toBeLessThan(lines.findIndex((l) => l.msg === 'VIX_TTL_LISTENING'));
  }, 90_000);

  it('one key, no server.workers (the default, one process): the WARN names that key alone', async () => {
    const warnings = (await oneProcess(file('one-window', { server: { restartWindowMs: 60_000 } }))).filter(unusedWarning);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, keys: ['server.restartWindowMs'] });
    expect(warnings[0]!.msg).not.toMatch(/maxWorkerRestarts/);
  }, 90_000);

  it('the shipped examples/vix-ttl.json (workers: 1, both keys set) starts, with the WARN; a file without the keys logs none', async () => {
    const example = fileURLToPath(new URL('../../examples/vix-ttl.json', import.meta.url));
    // --redis: the test's own redis-server, never the example's 127.0.0.1:6379.
    const warnings = (await oneProcess(example, ['--redis', redis.url])).filter(unusedWarning);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ keys: ['server.maxWorkerRestarts', 'server.restartWindowMs'] });
    expect((await oneProcess(file('one-none', { server: { workers: 1, requestTimeoutMs: 30_000 } }))).filter(unusedWarning)).toEqual([]);
  }, 120_000);
});
