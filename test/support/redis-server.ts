import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from './free-port.js';
import { processStartTime } from './process-start.js';

const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killRunning);
// A test worker forked by vitest (pool: forks) talks to the run over IPC. When the run's process is
// SIGKILLed the worker lives on, idle, forever (and so would its servers, whose guards watch the
// worker): the channel's end tells it the run is gone.
if (process.connected) process.once('disconnect', killRunning);

/**
 * The guard of a redis-server (`sh -c GUARD guard <pid> <start time>`): it reads its stdin, a
 * pipe whose only writing end this process holds, and when that ends it SIGKILLs the server
 * if the server is still the process that started then. The kernel closes the pipe whenever
 * this process ends, a SIGKILL or an OOM kill included, when no `exit` handler runs: the
 * server never outlives the process that started it. (Linux's PR_SET_PDEATHSIG is not
 * reachable from Node, and redis-server has no option to watch its parent.)
 */
const GUARD = [
  'while read -r _; do :; done',
  // With the start time known, only the process that started then (not a later one given its pid) is killed.
  'if [ -n "$2" ]; then',
  '  stat=$(cat "/proc/$1/stat" 2>/dev/null) || exit 0',
  '  set -- "$1" "$2" ${stat##*) }',
  '  [ "${22}" = "$2" ] || exit 0',
  'fi',
  'kill -9 "$1" 2>/dev/null',
].join('\n');

/** Starts the guard of `child` (see {@link GUARD}); it does not keep this process's event loop alive. */
function guard(child: ChildProcess): ChildProcess {
  const pid = child.pid!;
  const watchdog = spawn('sh', ['-c', GUARD, 'vix-ttl-redis-guard', String(pid), processStartTime(pid) ?? ''], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => {});
  watchdog.stdin!.on('error', () => {});
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  return watchdog;
}

export { freePort } from './free-port.js';
export { hasCommand } from './tools.js';

/**
 * A real `redis-server` of the test's own, on a free loopback port (never 6379),
 * with no persistence. It can be paused (SIGSTOP), killed (SIGKILL) and restarted
 * on the same port.
 */
export class RedisServer {
  readonly port: number;
  readonly #args: string[];
  readonly #config: string | undefined;
  readonly #dir: string;
  readonly #clients = new Set<Redis>();
  #process: ChildProcess | null = null;

  private constructor(port: number, args: string[], config: string | undefined) {
    this.port = port;
    this.#args = args;
    this.#config = config;
    this.#dir = mkdtempSync(join(tmpdir(), 'vix-ttl-redis-'));
  }

  /**
   * Starts a server; `args` are extra redis-server flags. `config` is written to a
   * config file of the server's own (needed by sentinels, which rewrite it).
   */
  static async start(args: string[] = [], options: { config?: string } = {}): Promise<RedisServer> {
    for (let attempt = 0; ; attempt += 1) {
      const server = new RedisServer(await freePort(), args, options.config);
      try {
        await server.#spawn();
        return server;
      } catch (error) {
        server.#cleanupDir();
        if (attempt >= 4) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** A client that the server closes with `stop()`. */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: false, ...options });
    client.on('error', () => {});
    this.#clients.add(client);
    return client;
  }

  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  /**
   * Resolves once the kernel shows the process stopped (`T` in /proc/<pid>/stat): on a
   * loaded machine a SIGSTOPped server may still answer what it was running, so a test
   * that counts what happens during the pause waits for this first.
   */
  async stopped(timeoutMs = 5000): Promise<void> {
    const pid = this.#process?.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const state = /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      if (state === 'T' || state === 't') return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`redis-server ${pid} was not stopped ${timeoutMs} ms after SIGSTOP`);
  }

  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#process = null;
  }

  /** Starts the server again on the same port (after kill). */
  async restart(): Promise<void> {
    await this.kill();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#spawn();
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    this.resume();
    await this.kill();
    this.#cleanupDir();
  }

  /** The server's own working directory (cluster and sentinel files live there). */
  get dir(): string {
    return this.#dir;
  }

  async #spawn(): Promise<void> {
    const configFile = join(this.#dir, 'redis.conf');
    if (this.#config !== undefined && !existsSync(configFile)) writeFileSync(configFile, this.#config);
    const child = spawn(
      'redis-server',
      [...(this.#config !== undefined ? [configFile] : []), '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', this.#dir, '--loglevel', 'warning', ...this.#args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    running.add(child);
    const watchdog = child.pid === undefined ? null : guard(child);
    // Once the server is gone, its guard goes too: the pid it holds may soon be another process's.
    child.once('exit', () => {
      running.delete(child);
      watchdog?.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    this.#process = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}) on port ${this.port}: ${stderr.trim()}`);
      if (await answersPing(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer PING on port ${this.port} within 10 s`);
  }

  #cleanupDir(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(String(data)))); // NOAUTH: up, with requirepass
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
