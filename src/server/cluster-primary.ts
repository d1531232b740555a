import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { answerClusterMetrics } from './cluster-metrics.js';

/** Options of {@link runClusterPrimary}. */
export interface ClusterPrimaryOptions {
  workers: number;
  logger: Logger;
  /** How long workers get to drain after SIGTERM before they are killed. */
  shutdownTimeoutMs: number;
  /** More than `maxRestarts` crashes within `restartWindowMs` stops the service (exit 1) instead of looping. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** The primary's own metrics (the VIX engine's), appended to the workers' aggregated `/metrics`. */
  extraMetrics?: () => Promise<string>;
}

/** The primary of a multi-worker service. */
export interface ClusterPrimary {
  /** Resolves with the exit code once every worker is gone. */
  done: Promise<number>;
  /** Asks every worker to drain and stop (SIGTERM), killing those that outlive the timeout. */
  shutdown(): void;
}

/**
 * Runs the primary of `serve --workers N` with node:cluster: it forks N workers that
 * share the port (each runs the same command line as a single service), restarts
 * a worker that crashes, gives up on a crash loop, aggregates the workers' metrics
 * (and its own `extraMetrics`) for `GET /metrics`, and on shutdown drains them all.
 */
export function runClusterPrimary(options: ClusterPrimaryOptions): ClusterPrimary {
  const { workers: count, logger, shutdownTimeoutMs } = options;
  const maxRestarts = options.maxRestarts ?? 5;
  const restartWindowMs = options.restartWindowMs ?? 30_000;
  const live = new Set<Worker>();
  const listening = new Set<number>();
  const crashes: number[] = [];
  let stopping = false;
  let exitCode = 0;
  let ready = false;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const fork = () => live.add(cluster.fork());
  const stopAnsweringMetrics = answerClusterMetrics(options.extraMetrics);

  const shutdown = (code = 0) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    logger.info({ workers: live.size }, 'VIX_TTL_CLUSTER_STOPPING');
    for (const worker of live) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of live) worker.process.kill('SIGKILL');
    }, shutdownTimeoutMs + 5000).unref();
    if (live.size === 0) finish();
  };

  const finish = () => {
    cluster.removeListener('exit', onExit);
    cluster.removeListener('listening', onListening);
    stopAnsweringMetrics();
    logger.info({ exit_code: exitCode }, 'VIX_TTL_CLUSTER_STOPPED');
    resolveDone(exitCode);
  };

  const onListening = (worker: Worker, address: { address: string; port: number }) => {
    listening.add(worker.id);
    if (ready || listening.size < count) return;
    ready = true;
    logger.info({ workers: count, port: address.port, pids: [...live].map((w) => w.process.pid) }, 'VIX_TTL_CLUSTER_READY');
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    live.delete(worker);
    listening.delete(worker.id);
    if (stopping) {
      if (code !== 0) exitCode = 1;
      if (live.size === 0) finish();
      return;
    }
    if (code === 0 && signal === null) {
      logger.info({ pid: worker.process.pid }, 'VIX_TTL_WORKER_STOPPED');
      if (live.size === 0) finish();
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && now - crashes[0]! > restartWindowMs) crashes.shift();
    if (crashes.length > maxRestarts) {
      logger.fatal({ crashes: crashes.length, window_ms: restartWindowMs }, 'VIX_TTL_CRASH_LOOP: workers keep crashing; stopping');
      shutdown(1);
      return;
    }
    logger.warn({ pid: worker.process.pid, code, signal }, 'VIX_TTL_WORKER_CRASHED: restarting it');
    fork();
  };

  cluster.on('exit', onExit);
  cluster.on('listening', onListening);
  logger.info({ workers: count, pid: process.pid }, 'VIX_TTL_CLUSTER_STARTING');
  for (let i = 0; i < count; i += 1) fork();
  return { done, shutdown: () => shutdown(0) };
}
