import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { answerClusterMetrics } from './cluster-metrics.js';
import { workerExecArgv } from './worker-exec-argv.js';

/** Options of {@link runClusterPrimary}. */
export interface ClusterPrimaryOptions {
  workers: number;
  logger: Logger;
  /** How long workers get to drain after SIGTERM before they are killed. */
  shutdownTimeoutMs: number;
  /**
   * More than `maxRestarts` unrequested worker exits (crashes, and clean exits the
   * primary did not ask for) within `restartWindowMs` stop the service (exit 1)
   * instead of looping. Default 5 in 30 s.
   */
  maxRestarts?: number | undefined;
  restartWindowMs?: number | undefined;
  /**
   * The primary's own metrics (the VIX engine's, its publisher's panic ends, its log lines),
   * aggregated with the workers' for `/metrics`: a family both have is one family, summed.
   */
  primaryRegistry?: Registry | undefined;
  /** More Prometheus text of the primary's, appended after the aggregate. */
  extraMetrics?: (() => Promise<string>) | undefined;
  /** Longest wait for the workers' registries in an aggregated scrape; a later worker is left out. Default 2,000 ms. */
  metricsCollectTimeoutMs?: number | undefined;
}

/** The primary of a multi-worker service. */
export interface ClusterPrimary {
  /** Resolves with the exit code once every worker is gone. */
  done: Promise<number>;
  /** Asks every worker to drain and stop (SIGTERM), killing those that outlive the timeout. */
  shutdown(): void;
  /** The primary's own metrics (worker restarts, live and wanted workers, the crash budget and its use, workers missing from the last scrape). */
  registry: Registry;
}

/**
 * Runs the primary of `serve --workers N` with node:cluster: it forks N workers that
 * share the port (each runs the same command line as a single service), replaces
 * every worker that exits without being asked to — a crash, or a clean exit 0 (a
 * SIGTERM sent to the worker alone, a worker that returned) — gives up on a restart
 * loop (exit 1), aggregates the workers' metrics (and its own `primaryRegistry`) for
 * `GET /metrics`, and on shutdown drains them all. Only a shutdown it was asked for
 * ends with exit 0; a primary left without workers never does. A worker that is
 * gone never takes the primary with it: every IPC send to a worker tolerates its
 * absence, and a worker's `'error'` is logged. Restarts are counted
 * (`vix_ttl_worker_restarts_total{reason}`), and the budget's use is shown
 * (`vix_ttl_cluster_worker_exits_in_window` against `vix_ttl_cluster_worker_exits_max`).
 */
export function runClusterPrimary(options: ClusterPrimaryOptions): ClusterPrimary {
  const { workers: count, logger, shutdownTimeoutMs } = options;
  const maxRestarts = options.maxRestarts ?? 5;
  const restartWindowMs = options.restartWindowMs ?? 30_000;
  const live = new Set<Worker>();
  const listening = new Set<number>();
  const exits: number[] = []; // times of the worker exits the primary did not ask for, within the window
  let stopping = false;
  let exitCode = 0;
  let ready = false;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const registry = new Registry();
  const restarts = new Counter({
    name: 'vix_ttl_worker_restarts_total',
    help: 'Workers the cluster primary replaced after an exit it did not ask for, by reason (crash: a signal or a non-zero code; exit: a clean exit 0).',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of ['crash', 'exit']) restarts.inc({ reason }, 0);
  const liveGauge: Gauge = new Gauge({ name: 'vix_ttl_cluster_workers', help: 'Worker processes the cluster primary has running.', registers: [registry], collect: () => liveGauge.set(live.size) });
  new Gauge({ name: 'vix_ttl_cluster_workers_wanted', help: 'Worker processes the cluster primary is asked to run (--workers).', registers: [registry] }).set(count);
  // The crash budget: more than maxRestarts unrequested exits within restartWindowMs stop the service.
  const exitsGauge: Gauge = new Gauge({
    name: 'vix_ttl_cluster_worker_exits_in_window',
    help: `Worker exits the cluster primary did not ask for within the last ${restartWindowMs / 1000} s (the restart window); more than vix_ttl_cluster_worker_exits_max stop the service.`,
    registers: [registry],
    collect: () => exitsGauge.set(exitsWithin(Date.now())),
  });
  new Gauge({ name: 'vix_ttl_cluster_worker_exits_max', help: 'The crash budget: most unrequested worker exits within the restart window before the cluster primary stops the service (exit 1).', registers: [registry] }).set(maxRestarts);

  /** Drops the exits older than the window and counts the others. */
  const exitsWithin = (now: number): number => {
    while (exits.length > 0 && now - exits[0]! > restartWindowMs) exits.shift();
    return exits.length;
  };

  // Structured-clone IPC: a worker forwards tick slices as bytes, copied as they are,
  // where the default JSON channel escaped every quote of them in the worker and parsed
  // the envelope again in the primary (CPU and garbage on both sides, per 500 ticks).
  // The workers' heap grows further between full collections (see workerExecArgv).
  cluster.setupPrimary({ serialization: 'advanced', execArgv: workerExecArgv(process.execArgv) });
  const fork = () => {
    if (stopping) return;
    try {
      const worker = cluster.fork();
      // Node emits a failed IPC send without a callback as an 'error' on the worker; unheard, it would end the primary.
      worker.on('error', (error: Error) => logger.warn({ err: error.message, pid: worker.process.pid }, 'VIX_TTL_WORKER_ERROR'));
      live.add(worker);
    } catch (error) {
      logger.fatal({ err: (error as Error).message }, 'VIX_TTL_WORKER_FORK_FAILED: stopping');
      shutdown(1);
    }
  };
  const stopAnsweringMetrics = answerClusterMetrics({
    registry,
    registries: options.primaryRegistry ? [registry, options.primaryRegistry] : [registry],
    logger,
    timeoutMs: options.metricsCollectTimeoutMs,
    extra: options.extraMetrics,
  });

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
    // Not asked to stop: whatever the exit code, the service is a worker short. Replace it, within the budget.
    const now = Date.now();
    exits.push(now);
    if (exitsWithin(now) > maxRestarts) {
      logger.fatal({ exits: exits.length, window_ms: restartWindowMs, workers_left: live.size }, 'VIX_TTL_CRASH_LOOP: workers keep exiting; stopping');
      shutdown(1);
      return;
    }
    const clean = code === 0 && signal === null;
    restarts.inc({ reason: clean ? 'exit' : 'crash' });
    logger.warn({ pid: worker.process.pid, code, signal }, clean ? 'VIX_TTL_WORKER_EXITED: it was not asked to stop; replacing it' : 'VIX_TTL_WORKER_CRASHED: restarting it');
    fork();
  };

  cluster.on('exit', onExit);
  cluster.on('listening', onListening);
  logger.info({ workers: count, pid: process.pid }, 'VIX_TTL_CLUSTER_STARTING');
  for (let i = 0; i < count; i += 1) fork();
  return { done, shutdown: () => shutdown(0), registry };
}
