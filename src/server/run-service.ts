import cluster from 'node:cluster';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { MemoryPanicClock } from '../clock/memory-panic-clock.js';
import type { PanicClock } from '../clock/panic-clock.js';
import { RedisPanicClock } from '../clock/redis-panic-clock.js';
import { acceleratedTime } from './accelerated-time.js';
import { clusterMetricsOf } from './cluster-metrics.js';
import { createServer, type VixTtlServer } from './create-server.js';
import { DemoFeed } from './demo-feed.js';

/** A validated configuration of `vix-ttl serve`. */
export interface ServiceConfig {
  port: number;
  host: string;
  /** Redis URL of the shared clock; undefined runs the in-memory clock (one process). */
  redisUrl: string | undefined;
  workers: number;
  demo: boolean;
  /** How much faster than real time the demo's clock runs. */
  demoSpeed: number;
  adminToken: string | null;
  /** Longest wait for in-flight requests on shutdown before connections are cut. */
  shutdownTimeoutMs: number;
}

/** A running single-process service. */
export interface RunningService {
  server: VixTtlServer;
  /** `http://host:port` it listens on. */
  address: string;
  /** Drains in-flight requests, stops the demo feed, closes the breaker, the clock and Redis. */
  close(): Promise<void>;
}

/**
 * Starts one service process: the clock (Redis when a URL is given, else the
 * embedded memory clock, accelerated in the demo), the HTTP server and, in the
 * demo, the simulated odds feed.
 */
export async function startService(config: ServiceConfig, logger: Logger): Promise<RunningService> {
  const redis = config.redisUrl === undefined ? null : await connectStore(config.redisUrl, logger);
  const now = config.demo ? acceleratedTime(config.demoSpeed) : Date.now;
  const clock: PanicClock = redis ? new RedisPanicClock(redis, { timeoutMs: 50 }) : new MemoryPanicClock({ now });
  let feed: DemoFeed | null = null;
  const server = await createServer({
    clock,
    logger,
    adminToken: config.adminToken,
    now,
    timeScale: config.demo ? config.demoSpeed : 1,
    vix: (scope) => feed?.vix(scope) ?? null,
    aggregateMetrics: cluster.isWorker ? (registry) => clusterMetricsOf(registry) : undefined,
  });
  if (config.demo) feed = new DemoFeed({ breaker: server.breaker, now, onError: (error) => logger.warn({ err: error }, 'VIX_TTL_DEMO_FEED_ERROR') });
  try {
    await server.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await server.app.close();
    redis?.disconnect();
    throw error;
  }
  feed?.start();
  const address = server.app.listeningOrigin;
  logger.info(
    {
      address,
      clock: clock.kind,
      store: redis ? redactUrl(config.redisUrl!) : 'memory (embedded default: decisions agree within this process only)',
      demo: config.demo ? { speed: config.demoSpeed, scopes: feed!.scopes } : false,
      admin: config.adminToken ? 'enabled' : 'disabled (set VIX_TTL_ADMIN_TOKEN)',
      worker: cluster.isWorker ? cluster.worker?.id : undefined,
    },
    'VIX_TTL_LISTENING',
  );
  return { server, address, close: () => closeService(server, feed, clock, redis, config.shutdownTimeoutMs, logger) };
}

async function closeService(server: VixTtlServer, feed: DemoFeed | null, clock: PanicClock, redis: Redis | null, timeoutMs: number, logger: Logger): Promise<void> {
  logger.info({ timeout_ms: timeoutMs }, 'VIX_TTL_DRAINING');
  await feed?.stop();
  const cut = setTimeout(() => {
    logger.warn('VIX_TTL_DRAIN_TIMEOUT: closing the connections still open');
    server.app.server.closeAllConnections();
  }, timeoutMs);
  try {
    await server.app.close();
  } finally {
    clearTimeout(cut);
  }
  await clock.close();
  if (redis) await quitRedis(redis);
  logger.info('VIX_TTL_STOPPED');
}

/**
 * Connects to Redis for a long-running service: commands fail fast while it is
 * down (no offline queue: the clock fails safe instead), and it keeps
 * reconnecting. A Redis that is down at start is logged, not fatal: the service
 * starts unready (`/readyz` 503) and fails safe until Redis answers.
 */
async function connectStore(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastLoggedMs = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastLoggedMs < 10_000) return;
    lastLoggedMs = Date.now();
    logger.warn({ err: error.message, redis: redactUrl(url) }, 'VIX_TTL_STORE_CONNECTION_ERROR');
  });
  try {
    await redis.connect();
  } catch (error) {
    logger.warn({ err: (error as Error).message, redis: redactUrl(url) }, 'VIX_TTL_STORE_UNREACHABLE_AT_START: serving fail-safe decisions until it answers');
  }
  return redis;
}

async function quitRedis(redis: Redis): Promise<void> {
  const timer = setTimeout(() => redis.disconnect(), 1000);
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

/** A URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
