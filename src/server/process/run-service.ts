import cluster from 'node:cluster';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULT_DEAD_MAN_SWITCH_SECONDS } from '../../clock/clock-options.js';
import { MemoryPanicClock } from '../../clock/memory-panic-clock.js';
import type { PanicClock } from '../../clock/panic-clock.js';
import { RedisPanicClock, type RedisPanicClockOptions } from '../../clock/redis-panic-clock.js';
import type { PanicPolicyOptions } from '../../policy/policy-config.js';
import type { VixEngineOptions } from '../../vix/vix-options.js';
import { acceleratedTime } from './accelerated-time.js';
import { clusterMetricsOf } from './cluster-metrics.js';
import { createServer, type VixTtlServer, type VixTtlServerOptions } from '../http/create-server.js';
import { DEFAULT_MAX_TICKS_PER_SECOND } from '../http/tick-budget.js';
import { DemoFeed, demoRoundMs, type TickSink } from './demo-feed.js';
import { LocalVix } from '../vix/local-vix.js';
import { RemoteVix } from './remote-vix.js';
import { redactUrl } from '../../core/redact-url.js';
import { connectStore, quitRedis } from './store-connection.js';
import { MarketChangePublisher } from '../../cache/market-change-publisher.js';
import { PUBLISH_TIMEOUT_MS, vixOptionsOf } from './vix-host.js';
import type { VixSource } from '../vix/vix-source.js';
import type { LogVolume } from '../state/log-volume.js';

/** A validated configuration of `vix-ttl serve`. */
export interface ServiceConfig {
  port: number;
  host: string;
  /** Redis URL of the shared clock; undefined runs the in-memory clock (one process). */
  redisUrl: string | undefined;
  workers: number;
  /** With workers: the crash budget, most unrequested worker exits within `restartWindowMs` (default 5); one more stops the service. */
  maxWorkerRestarts?: number | undefined;
  /** The window `maxWorkerRestarts` counts exits in, ms (default 30,000). */
  restartWindowMs?: number | undefined;
  demo: boolean;
  /** How much faster than real time the demo's clock runs. */
  demoSpeed: number;
  /** The breaker's `maxPanicScopes` (default 1,000 when absent). */
  maxPanicScopes?: number | undefined;
  adminToken: string | null;
  /** Bearer token of `POST /v1/ttl` and `POST /v1/ticks`; null leaves them open. */
  apiToken: string | null;
  /** Bearer token of `GET /metrics`; null or absent leaves it open. */
  metricsToken?: string | null | undefined;
  /** Longest a request may take to arrive (408 past it); default 30 s. */
  requestTimeoutMs?: number | undefined;
  /** Most open client connections per process (past it a new one is closed at once); default 10,000. */
  maxConnections?: number | undefined;
  /** How long an idle keep-alive connection is kept, ms; default 5,000. */
  keepAliveTimeoutMs?: number | undefined;
  /** Longest wait for in-flight requests on shutdown before connections are cut. */
  shutdownTimeoutMs: number;
  /** Furthest a tick may be ahead of the wall clock, ms (`future_ts` past it). Default 60 s. */
  maxTickSkewMs?: number | undefined;
  /** Oldest a tick may be, ms before the wall clock (`stale_ts` past it). Default 5 min. */
  maxTickAgeMs?: number | undefined;
  /** Most `POST /v1/ticks` batches one process takes at once (429 `busy` past it). Default 1. */
  maxTickBatches?: number | undefined;
  /**
   * Most ticks per second the service takes on `POST /v1/ticks` (429 `busy` past it): with
   * `workers` N, each worker takes 1/N of it, so the primary's one engine never gets more.
   * Default 100,000.
   */
  maxTicksPerSecond?: number | undefined;
  /**
   * The panic clock's options: for Redis all of them (the decisions' clock takes
   * `timeoutMs`, default 50 ms, which is also the breaker's; the VIX publisher's
   * keeps its own longer timeout); the in-memory clock takes the dead man's switch,
   * the calm grace and `maxScopes`.
   */
  clock?: RedisPanicClockOptions | undefined;
  /** The policy: tier tables, league and match-type lists. Default: the seed's. */
  policy?: PanicPolicyOptions | undefined;
  /** The VIX engine's options (thresholds, delays…). Default: the engine's. */
  vix?: Omit<VixEngineOptions, 'hooks'> | undefined;
  /** The breaker's `syncIntervalMs`. Default 100 ms. */
  syncIntervalMs?: number | undefined;
  /** Shadow mode: answer the base TTL, with the decision that would have applied as `shadow` (see {@link VixTtlServerOptions.shadow}). Default false. */
  shadow?: boolean | undefined;
  /** More limits of the HTTP server (body sizes, tracked scopes, event clients…), as {@link VixTtlServerOptions} names them. */
  limits?: ServiceLimits | undefined;
  /** Publish each market whose price moved on the cache bus (`vix-ttl:market-changes`), for change-aware invalidation. Needs Redis. Default false. */
  publishMarketChanges?: boolean | undefined;
}

/** The {@link VixTtlServerOptions} limits a service takes from its configuration. */
export type ServiceLimits = Partial<
  Pick<
    VixTtlServerOptions,
    | 'bodyLimit'
    | 'ticksBodyLimit'
    | 'maxTicksPerBatch'
    | 'maxBatchItems'
    | 'maxTrackedScopes'
    | 'maxEventClients'
    | 'displayBaseTtl'
    | 'eventIntervalMs'
    | 'heartbeatMs'
    | 'readyTimeoutMs'
    | 'healthIntervalMs'
    | 'adminTimeoutMs'
    | 'metricsMaxAgeMs'
    | 'stalledConnectionFloorMs'
    | 'unreadLingerMs'
  >
>;

/** The decisions' store timeout when none is configured, ms. */
const DECISION_TIMEOUT_MS = 50;
/** An admin call's store timeout when `server.adminTimeoutMs` is not set (createServer's default), ms. */
const ADMIN_TIMEOUT_MS = 2000;

/** A running single-process service. */
export interface RunningService {
  server: VixTtlServer;
  /** `http://host:port` it listens on. */
  address: string;
  /** Drains in-flight requests, stops the demo feed, closes the breaker, the VIX publisher, the clock and Redis. */
  close(): Promise<void>;
}

/**
 * Starts one service process: the clock (Redis when a URL is given, else the
 * embedded memory clock, accelerated in the demo), the VIX engine (here, publishing
 * to the clock; in a cluster worker, the primary's over IPC), the HTTP server and,
 * in the demo, the simulated odds feed driving the engine. `logVolume`: the counts of
 * the lines `logger` writes (the one whose hooks built it), exported on `/metrics`.
 */
export async function startService(config: ServiceConfig, logger: Logger, options: { logVolume?: LogVolume | undefined } = {}): Promise<RunningService> {
  const redis = config.redisUrl === undefined ? null : await connectStore(config.redisUrl, logger);
  const now = config.demo ? acceleratedTime(config.demoSpeed) : Date.now;
  const clockOptions = config.clock ?? {};
  const timeoutMs = clockOptions.timeoutMs ?? DECISION_TIMEOUT_MS;
  const clock: PanicClock = redis
    ? new RedisPanicClock(redis, { ...clockOptions, timeoutMs })
    : new MemoryPanicClock({ now, deadManSwitchSeconds: clockOptions.deadManSwitchSeconds, calmGraceSeconds: clockOptions.calmGraceSeconds, maxScopes: clockOptions.maxScopes });
  const vix = vixSourceFor(config, redis, clock, now, logger);
  // An operator's admin call is not a decision: it may wait for Redis as long as adminTimeoutMs, not the decisions' 50 ms.
  const adminClock = redis ? new RedisPanicClock(redis, { ...clockOptions, timeoutMs: config.limits?.adminTimeoutMs ?? ADMIN_TIMEOUT_MS }) : undefined;
  const server = await createServer({
    ...config.limits,
    clock,
    policy: config.policy,
    syncIntervalMs: config.syncIntervalMs,
    shadow: config.shadow,
    timeoutMs,
    logger,
    logVolume: options.logVolume,
    adminToken: config.adminToken,
    adminClock,
    apiToken: config.apiToken,
    metricsToken: config.metricsToken ?? null,
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnections: config.maxConnections,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    maxPanicScopes: config.maxPanicScopes,
    // Outside the demo the breaker ages what it synced on its own monotonic clock, not Date.now.
    now: config.demo ? now : undefined,
    timeScale: config.demo ? config.demoSpeed : 1,
    vixSource: vix,
    maxConcurrentTickBatches: config.maxTickBatches,
    // The service's budget, shared out: each of N workers takes 1/N (the engine is one, in the primary).
    maxTicksPerSecond: (config.maxTicksPerSecond ?? DEFAULT_MAX_TICKS_PER_SECOND) / (cluster.isWorker ? Math.max(1, config.workers) : 1),
    aggregateMetrics: cluster.isWorker ? (registry) => clusterMetricsOf(registry) : undefined,
  });
  const feed = config.demo && vix instanceof LocalVix ? new DemoFeed({ ticks: demoTicksOf(vix), breaker: server.breaker, now, tickMs: demoRoundMs(config.demoSpeed, config.maxTickAgeMs), maxTickAgeMs: config.maxTickAgeMs, onError: (error) => logger.warn({ err: error }, 'VIX_TTL_DEMO_FEED_ERROR') }) : null;
  try {
    await server.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await server.app.close();
    await vix.close();
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
      vix: vix.location === 'primary' ? 'in the cluster primary' : vix instanceof LocalVix && vix.publisher ? 'in this process, publishing to the clock' : 'in this process',
      shadow: config.shadow === true ? 'on: POST /v1/ttl answers the base TTL, the decision that would have applied is in shadow' : false,
      admin: config.adminToken ? 'enabled' : 'disabled (set VIX_TTL_ADMIN_TOKEN)',
      api: config.apiToken ? 'token required on POST /v1/ttl and POST /v1/ticks' : 'open (set VIX_TTL_API_TOKEN to require a token)',
      metrics: config.metricsToken ? 'token required on GET /metrics' : 'open',
      worker: cluster.isWorker ? cluster.worker?.id : undefined,
    },
    'VIX_TTL_LISTENING',
  );
  return { server, address, close: () => closeService(server, feed, vix, clock, redis, config.shutdownTimeoutMs, logger) };
}

/**
 * The VIX engine of this process: in a cluster worker, the primary's (one engine per
 * service); otherwise a {@link LocalVix} publishing to the clock. In the demo the
 * publisher refreshes often enough for the accelerated clock's dead man's switch
 * (24 clock hours are 12 real minutes at ×120, 8.6 s at ×10,000).
 */
function vixSourceFor(config: ServiceConfig, redis: Redis | null, clock: PanicClock, now: () => number, logger: Logger): VixSource {
  if (cluster.isWorker) return new RemoteVix({ serialization: 'advanced' }); // as runClusterPrimary forks the workers
  const publishTo = redis ? new RedisPanicClock(redis, { ...config.clock, timeoutMs: PUBLISH_TIMEOUT_MS }) : clock;
  const refreshIntervalMs = publisherRefreshMs(config.clock?.deadManSwitchSeconds, config.demo ? config.demoSpeed : 1);
  const marketChanges = redis && config.publishMarketChanges ? new MarketChangePublisher(redis) : null;
  return new LocalVix({ clock: publishTo, logger, now, refreshIntervalMs, marketChanges, ...vixOptionsOf(config) });
}

/**
 * Where the demo's rounds go: the engine at once ({@link LocalVix.ingestNow}), on the same
 * clock reading the feed just took. Through the queue, a round waited behind the one before
 * and yielded between slices: at ×10,000 a few real ms of that are clock minutes, and the
 * engine refused the round's ticks as `stale_ts`. A round is small (a tenth of `maxTickAgeMs`).
 */
function demoTicksOf(vix: LocalVix): TickSink {
  return { ingest: (ticks) => vix.ingestNow(ticks) };
}

/**
 * How often the VIX publisher refreshes a panic's dead man's switch: a quarter of
 * the switch in real time (at most a minute, at least 10 ms), so a configured short
 * switch or the demo's accelerated clock never lets a live panic's start expire.
 */
export function publisherRefreshMs(deadManSwitchSeconds: number | undefined, timeScale: number): number {
  const switchMs = (deadManSwitchSeconds ?? DEFAULT_DEAD_MAN_SWITCH_SECONDS) * 1000;
  return Math.max(10, Math.min(60_000, Math.floor(switchMs / timeScale / 4)));
}

async function closeService(server: VixTtlServer, feed: DemoFeed | null, vix: VixSource, clock: PanicClock, redis: Redis | null, timeoutMs: number, logger: Logger): Promise<void> {
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
  await vix.close(); // the publisher's last writes go out before Redis is quit
  await clock.close();
  if (redis) await quitRedis(redis);
  logger.info('VIX_TTL_STOPPED');
}
