import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type onResponseHookHandler } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { VixCircuitBreaker } from '../../breaker/vix-circuit-breaker.js';
import { PACKAGE_VERSION } from '../../core/package-version.js';
import { parseOptions } from '../../core/parse-options.js';
import type { PanicClock } from '../../clock/panic-clock.js';
import type { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import type { PanicPolicyOptions } from '../../policy/policy-config.js';
import type { VixEngineOptions } from '../../vix/vix-options.js';
import { API_CREDENTIAL, assertDistinctTokens, bearerAuthorizer, MAX_TOKEN_LENGTH, METRICS_CREDENTIAL, MIN_TOKEN_LENGTH } from './bearer-auth.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { HttpError } from './http-error.js';
import { installExpectContinue } from './expect-continue.js';
import { DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, installConnectionLimit } from './connection-limit.js';
import { loadDashboardAssets } from './dashboard-assets.js';
import { registerDashboardRoutes } from './routes/dashboard-routes.js';
import { clientErrorHandler, installServerLevelErrors } from './client-error-handler.js';
import { DEFAULT_UNREAD_LINGER_MS, handleError, handleFrameworkError } from './error-handler.js';
import { EventStream } from './event-stream.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STALLED_CONNECTION_FLOOR_MS, httpServerOptions } from './http-timeouts.js';
import { apiHeaders, securityHeaders } from './security-headers.js';
import { parseJsonBody } from './json-body-parser.js';
import { importOpenTelemetryApi, traceService } from './request-tracing.js';
import { ServiceState } from '../state/service-state.js';
import { ServiceTelemetry } from '../state/service-telemetry.js';
import type { HttpRouteRecorder } from '../state/service-metrics.js';
import { registerStateRoutes } from './routes/state-routes.js';
import { StoreHealth } from '../state/store-health.js';
import { LogVolume } from '../state/log-volume.js';
import { LocalVix } from '../vix/local-vix.js';
import { registerTickRoutes } from './routes/tick-routes.js';
import { DEFAULT_MAX_TICKS_PER_SECOND } from './tick-budget.js';
import { openApiDocumentText } from './openapi-document.js';
import { registerOpenApiRoutes } from './routes/openapi-routes.js';
import { registerTtlRoutes } from './routes/ttl-routes.js';
import { DEFAULT_MAX_BATCH_ITEMS } from './request-schemas.js';
import type { VixProvider, VixSource } from '../vix/vix-source.js';

/** Options of {@link createServer}. */
export interface VixTtlServerOptions {
  /** The panic clock decisions are taken on (memory or Redis). The caller keeps ownership and closes it. */
  clock: PanicClock;
  /** A policy, or options to build one. Default: the seed's tier table. */
  policy?: AdaptivePanicQuota | PanicPolicyOptions | undefined;
  /** The breaker's `syncIntervalMs`. Default 100 ms. */
  syncIntervalMs?: number | undefined;
  /** The breaker's store timeout. Default 50 ms. */
  timeoutMs?: number | undefined;
  /** The breaker's `maxPanicScopes`: most distinct scopes held in panic; past it a new one is only read (`scope_limit` when no start exists). Default 1,000. */
  maxPanicScopes?: number | undefined;
  /** The breaker's `panicScopeIdleMs`: a held panic scope with no panic observation for this long gives its slot back. Default 600,000. */
  panicScopeIdleMs?: number | undefined;
  /**
   * Shadow mode: `POST /v1/ttl` answers the request's base TTL (mode `NORMAL`, tier 0:
   * what the caller does without vix-ttl) with the decision that would have applied as
   * `shadow`; every decision is still taken, logged and measured as usual, and the
   * `vix_ttl_shadow_*` metrics count how it differs from what was served. Default false.
   */
  shadow?: boolean | undefined;
  /** A pino logger for the server and the breaker. Default: silent. */
  logger?: Logger | undefined;
  /**
   * Counts of the lines `logger` writes, exported as `vix_ttl_log_lines_total{event,level}`:
   * the {@link LogVolume} whose `hooks` the logger was built with (`pino({ hooks: volume.hooks })`).
   * Default none (the metric is absent).
   */
  logVolume?: LogVolume | undefined;
  /** Bearer token of the admin routes; null or absent disables them (403). At least 16 characters. */
  adminToken?: string | null | undefined;
  /**
   * Bearer token `POST /v1/ttl` and `POST /v1/ticks` require (they write the shared
   * panic clock); null or absent leaves them open. At least 16 characters. The
   * read-only routes (`/v1/state`, `/v1/events`, `/metrics`, the dashboard) stay open.
   */
  apiToken?: string | null | undefined;
  /**
   * Bearer token `GET /metrics` requires; null or absent leaves it open (as
   * Prometheus expects by default). Set it when the port is reachable by clients
   * that should not read the metrics or make the service render them. At least 16
   * characters, different from the admin and API tokens.
   */
  metricsToken?: string | null | undefined;
  /** How long a `/metrics` render is reused (ms); concurrent scrapes share one render whatever it is. 0: render each scrape. Default 1,000. */
  metricsMaxAgeMs?: number | undefined;
  /** Largest request body, in bytes. Default 16 KiB. */
  bodyLimit?: number | undefined;
  /** Most decision requests in one `POST /v1/ttl/batch` (more is a 413 `too_many_items`); its body limit is 1 KiB per item. Default 1,000. */
  maxBatchItems?: number | undefined;
  /**
   * Most open client connections; a connection past it is closed at once (counted
   * in `vix_ttl_http_connections_refused_total`, logged `VIX_TTL_CONNECTIONS_FULL`)
   * and idle connections are closed to make room. Keep it well below the process's
   * file descriptor limit (`ulimit -n`). Default 10,000.
   */
  maxConnections?: number | undefined;
  /**
   * How long an idle keep-alive connection is kept open, ms. Default 5,000 (Node's
   * own; Fastify's was 72 s). Behind a load balancer that reuses idle connections,
   * set it above the balancer's idle timeout (an AWS ALB: 60 s → 65,000).
   */
  keepAliveTimeoutMs?: number | undefined;
  /**
   * Longest a request may take to arrive, headers and body (and a new connection
   * to send its first request); past it the client gets a 408 and the connection
   * is closed. Default 30,000 ms.
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Shortest time a connection may stand still — nothing read from it, nothing written
   * to it (a client that sends requests and never reads the answers) — before it is
   * closed, ms; the time is twice the longest of `requestTimeoutMs` and the service's own
   * waits, at least this. Lower it only where clients are known to read at once (tests,
   * a sidecar on loopback). 100–600,000; default 5,000.
   */
  stalledConnectionFloorMs?: number | undefined;
  /**
   * How long the connection of a request refused before its body arrived (401, 413,
   * 429 `busy`…) stays open, unread, after the answer and the end of the stream are
   * sent, ms: the time the client has to read the answer before the close resets the
   * connection. Too short and a client still sending its body loses the answer to the
   * reset. 100–60,000; default 1,000.
   */
  unreadLingerMs?: number | undefined;
  /** Most named scopes the dashboard and the per-scope metrics follow. Default 200. */
  maxTrackedScopes?: number | undefined;
  /** Most dashboards on the event stream at once. Default 100. */
  maxEventClients?: number | undefined;
  /** Period of the state events. Default 1,000 ms. */
  eventIntervalMs?: number | undefined;
  /** Period of the event stream's heartbeat comments. Default 15,000 ms. */
  heartbeatMs?: number | undefined;
  /** Longest wait for the store in `/readyz` and the dashboard. Default 250 ms. */
  readyTimeoutMs?: number | undefined;
  /** Period of the store health check (the clock's inspection script with its write check, on the global scope), whose last answer `/metrics` shows. Default 5,000 ms. */
  healthIntervalMs?: number | undefined;
  /** Longest wait for the store in an admin call. Default 2,000 ms. */
  adminTimeoutMs?: number | undefined;
  /**
   * The clock the admin routes write through; default `clock`. A `RedisPanicClock` bounds each
   * command by its own `timeoutMs` (the decisions' 50 ms): give one with a timeout near
   * `adminTimeoutMs` on the same connection, so an operator's reset still lands on a loaded service.
   */
  adminClock?: PanicClock | undefined;
  /** Base TTL the dashboard shows per-importance TTLs for. Default 60 s. */
  displayBaseTtl?: number | undefined;
  /**
   * The demo's accelerated time: the breaker ages what it synced on it, the VIX engine dates ticks by it.
   * Default: the breaker's monotonic clock for aging (a wall-clock step must not freeze or expire what was
   * synced) and `Date.now` for tick times.
   */
  now?: (() => number) | undefined;
  /** How much faster than real time the clock runs (the demo's accelerated clock), for labels. Default 1. */
  timeScale?: number | undefined;
  /**
   * Where `POST /v1/ticks` sends ticks and the VIX shown per scope comes from. Default:
   * a {@link LocalVix} (a `VixEngine` with its defaults, publishing to `clock`), which
   * the server closes with itself; a source passed in stays the caller's to close.
   * `null`: no engine and no `/v1/ticks`.
   */
  vixSource?: VixSource | null | undefined;
  /** Largest `POST /v1/ticks` body, in bytes. Default 1 MiB. */
  ticksBodyLimit?: number | undefined;
  /** Most ticks in one `POST /v1/ticks` batch (more is a 413). Default 10,000. */
  maxTicksPerBatch?: number | undefined;
  /** Most `POST /v1/ticks` batches this process takes at once; more is a 429 `busy` with `Retry-After`. Default 1. */
  maxConcurrentTickBatches?: number | undefined;
  /** Most ticks per second this process takes on `POST /v1/ticks` (bursts of two full batches); more is a 429 `busy`. Default 100,000. */
  maxTicksPerSecond?: number | undefined;
  /** Furthest a tick may be ahead of `now()` (the engine the server builds rejects it `future_ts`), ms. Default 60 s. */
  maxTickSkewMs?: number | undefined;
  /** Oldest a tick may be, ms before `now()` (the engine the server builds rejects it `stale_ts`). Default 5 min. */
  maxTickAgeMs?: number | undefined;
  /** Options of the VIX engine the server builds (its warm-up, thresholds…); ignored with `vixSource`. */
  vixEngine?: VixEngineOptions | undefined;
  /** Supplies the VIX of scopes the engine does not follow (an external VIX). */
  vix?: VixProvider | undefined;
  /** Register prom-client's default process metrics. Default true. */
  defaultMetrics?: boolean | undefined;
  /**
   * Trace requests and decisions with OpenTelemetry when `@opentelemetry/api` is
   * installed and an SDK is registered (a SERVER span per request, continued from its
   * `traceparent`; the breaker's spans below it). Without the API or an SDK nothing
   * is traced and nothing is paid. Default true.
   */
  openTelemetry?: boolean | undefined;
  /**
   * Given this server's registry, returns what `GET /metrics` renders instead of it:
   * a cluster worker passes one that asks the primary for every worker's metrics.
   */
  aggregateMetrics?: ((registry: Registry) => () => Promise<string>) | undefined;
}

/** What {@link createServer} builds: the Fastify app and the parts behind it. */
export interface VixTtlServer {
  app: FastifyInstance;
  breaker: VixCircuitBreaker;
  telemetry: ServiceTelemetry;
  state: ServiceState;
  health: StoreHealth;
  events: EventStream;
  /** The VIX engine the server uses, or null. */
  vix: VixSource | null;
}

const fn = (message: string) => z.custom<(...args: never[]) => unknown>((v) => v === undefined || typeof v === 'function', { message }).optional();

const token = () => z.string().min(MIN_TOKEN_LENGTH, `must be at least ${MIN_TOKEN_LENGTH} characters`).max(MAX_TOKEN_LENGTH).nullable().default(null);

const optionsSchema = z.strictObject({
  clock: z.custom<PanicClock>((v) => typeof v === 'object' && v !== null && typeof (v as PanicClock).inspect === 'function', { message: 'is required: a PanicClock (MemoryPanicClock or RedisPanicClock)' }),
  policy: z.custom<AdaptivePanicQuota | PanicPolicyOptions>((v) => v === undefined || (typeof v === 'object' && v !== null), { message: 'must be an AdaptivePanicQuota or policy options' }).optional(),
  syncIntervalMs: z.number().min(0).max(60_000).optional(),
  timeoutMs: z.number().positive().max(60_000).optional(),
  maxPanicScopes: z.number().int().min(1).max(1_000_000).optional(),
  panicScopeIdleMs: z.number().int().min(1000).max(7 * 86_400_000).optional(),
  shadow: z.boolean().default(false),
  logger: z.custom<Logger>((v) => v === undefined || (typeof v === 'object' && v !== null && typeof (v as Logger).child === 'function'), { message: 'must be a pino logger' }).optional(),
  logVolume: z.custom<LogVolume>((v) => v === undefined || v instanceof LogVolume, { message: 'must be a LogVolume (whose hooks the logger was built with)' }).optional(),
  adminToken: token(),
  apiToken: token(),
  metricsToken: token(),
  metricsMaxAgeMs: z.number().int().min(0).max(60_000).default(1000),
  bodyLimit: z.number().int().min(256).max(10_485_760).default(16_384),
  maxBatchItems: z.number().int().min(1).max(10_000).default(DEFAULT_MAX_BATCH_ITEMS),
  maxConnections: z.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_CONNECTIONS),
  keepAliveTimeoutMs: z.number().int().min(100).max(600_000).default(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
  stalledConnectionFloorMs: z.number().int().min(100).max(600_000).default(DEFAULT_STALLED_CONNECTION_FLOOR_MS),
  unreadLingerMs: z.number().int().min(100).max(60_000).default(DEFAULT_UNREAD_LINGER_MS),
  maxTrackedScopes: z.number().int().min(1).max(100_000).default(200),
  maxEventClients: z.number().int().min(1).max(100_000).default(100),
  eventIntervalMs: z.number().int().min(50).max(60_000).default(1000),
  heartbeatMs: z.number().int().min(100).max(300_000).default(15_000),
  readyTimeoutMs: z.number().int().min(1).max(60_000).default(250),
  healthIntervalMs: z.number().int().min(100).max(600_000).default(5000),
  adminTimeoutMs: z.number().int().min(1).max(60_000).default(2000),
  adminClock: z.custom<PanicClock>((v) => typeof v === 'object' && v !== null && typeof (v as PanicClock).reset === 'function', { message: 'must be a PanicClock' }).optional(),
  displayBaseTtl: z.number().min(0).default(60),
  now: fn('must be a function returning ms'),
  timeScale: z.number().min(1).max(1_000_000).default(1),
  vix: fn('must be a function (scope) => VixReading | null'),
  vixSource: z
    .custom<VixSource | null>((v) => v === undefined || v === null || (typeof v === 'object' && typeof (v as VixSource).ingest === 'function' && typeof (v as VixSource).view === 'function'), {
      message: 'must be a VixSource (LocalVix, RemoteVix) or null',
    })
    .optional(),
  ticksBodyLimit: z.number().int().min(256).max(104_857_600).default(1_048_576),
  maxTicksPerBatch: z.number().int().min(1).max(1_000_000).default(10_000),
  maxConcurrentTickBatches: z.number().int().min(1).max(1000).default(1),
  maxTicksPerSecond: z.number().positive().max(100_000_000).default(DEFAULT_MAX_TICKS_PER_SECOND),
  maxTickSkewMs: z.number().min(0).max(86_400_000).optional(),
  maxTickAgeMs: z.number().min(1000).max(86_400_000).optional(),
  vixEngine: z.custom<VixEngineOptions>((v) => v === undefined || (typeof v === 'object' && v !== null), { message: 'must be the options of a VixEngine' }).optional(),
  defaultMetrics: z.boolean().default(true),
  openTelemetry: z.boolean().default(true),
  aggregateMetrics: fn('must be a function (registry) => () => Promise<string>'),
});

/** The schema of {@link VixTtlServerOptions}, whose limits the `server` section of the service's config file reuses. */
export { optionsSchema as serverOptionsSchema };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the vix-ttl HTTP service: a Fastify app with `POST /v1/ttl`, `POST /v1/ttl/batch`, `POST /v1/ticks`
 * (the VIX engine's feed), `GET /v1/state`, `GET /v1/events`, `GET /metrics`,
 * `GET /healthz`, `GET /readyz`, the admin routes, the Brain Lab dashboard at
 * `GET /` and its OpenAPI document at `GET /openapi.json`, around a breaker and a VIX engine wired to metrics. Call
 * `app.listen()` to serve and `app.close()` to drain and stop (the clock is the
 * caller's to close).
 * @throws InvalidConfigError naming the bad option.
 */
export async function createServer(options: VixTtlServerOptions): Promise<VixTtlServer> {
  const o = parseOptions(optionsSchema, options, 'createServer');
  assertDistinctTokens({ adminToken: o.adminToken, apiToken: o.apiToken, metricsToken: o.metricsToken }, 'createServer');
  const logger = o.logger ?? pino({ level: 'silent' });
  const telemetry = new ServiceTelemetry({
    maxTrackedScopes: o.maxTrackedScopes,
    defaultMetrics: o.defaultMetrics,
    clockKind: o.clock.kind,
    timeScale: o.timeScale,
    version: PACKAGE_VERSION,
    clockNow: o.now as (() => number) | undefined,
  });
  const breaker = new VixCircuitBreaker({
    clock: o.clock,
    policy: o.policy,
    logger,
    syncIntervalMs: o.syncIntervalMs,
    timeoutMs: o.timeoutMs,
    maxPanicScopes: o.maxPanicScopes,
    panicScopeIdleMs: o.panicScopeIdleMs,
    shadow: o.shadow,
    now: o.now as (() => number) | undefined,
  });
  telemetry.attach(breaker);
  telemetry.metrics.shadowMode(o.shadow);
  const ownsVix = o.vixSource === undefined;
  const vix: VixSource | null = ownsVix ? new LocalVix({ clock: o.clock, logger, now: o.now as (() => number) | undefined, maxTickSkewMs: o.maxTickSkewMs, maxTickAgeMs: o.maxTickAgeMs, maxPanicScopes: o.maxPanicScopes, engine: o.vixEngine as VixEngineOptions | undefined }) : (o.vixSource ?? null);
  if (vix instanceof LocalVix) vix.instrument(telemetry.metrics.registry);
  const publisherEnds = vix instanceof LocalVix && vix.publisher ? telemetry.metrics.panicEpisodes.follow(vix.publisher) : null;
  o.logVolume?.register(telemetry.metrics.registry);
  const health = new StoreHealth(o.clock, { timeoutMs: o.readyTimeoutMs, metrics: telemetry.metrics, logger });
  telemetry.metrics.setSources({ inFlight: () => o.clock.inFlight ?? 0, panicScopes: () => breaker.panicScopes, eviction: () => health.eviction() });
  const state = new ServiceState({
    clock: o.clock,
    policy: breaker.policy,
    tracker: telemetry.scopes,
    health,
    displayBaseTtl: o.displayBaseTtl,
    timeScale: o.timeScale,
    inspectTimeoutMs: o.readyTimeoutMs,
    now: o.now as (() => number) | undefined,
    vixSource: vix,
    maxVixScopes: o.maxTrackedScopes,
    vix: o.vix as VixProvider | undefined,
    shadow: o.shadow ? telemetry.shadow : null,
  });
  const pageHeaders = await securityHeaders();
  const headers = apiHeaders();
  const otel = o.openTelemetry ? await importOpenTelemetryApi() : null;
  health.onInspection((inspection) => state.learn(inspection));
  health.start(o.healthIntervalMs);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: o.bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino's child() allocates and serializes its bindings):
    // a request's log lines are few (errors, refusals, admin calls) and name it themselves (reqId).
    childLoggerFactory: (parent) => parent,
    // The longest this service itself leaves a connection in use unwritten: an event stream's
    // silence, or a route's wait for the store (an admin call, a decision, a readiness probe)
    // or for the VIX engine (a worker's batch forwarded to the cluster primary: the same
    // PRIMARY_ANSWER_TIMEOUT_MS a worker's /metrics waits for the primary's aggregation).
    ...httpServerOptions(o.requestTimeoutMs, Math.max(Math.min(o.eventIntervalMs, o.heartbeatMs), o.adminTimeoutMs, o.timeoutMs ?? 0, o.readyTimeoutMs, (vix as VixSource | null)?.longestWaitMs ?? 0), o.stalledConnectionFloorMs),
    keepAliveTimeout: o.keepAliveTimeoutMs,
    return503OnClosing: false, // its 503 has Fastify's body; the onRequest hook answers ours
    clientErrorHandler: clientErrorHandler({ requestTimeoutMs: o.requestTimeoutMs, logger: logger as FastifyBaseLogger }),
    frameworkErrors: (error, request, reply) => {
      void reply.headers(headers);
      handleFrameworkError(error, request, reply, o.unreadLingerMs);
    },
    genReqId: requestIdGenerator(),
  });
  installServerLevelErrors(app.server);
  const tracing = otel ? traceService(app, otel, breaker) : null;
  telemetry.metrics.connections(0, o.maxConnections);
  installConnectionLimit(app.server, o.maxConnections, { refused: () => telemetry.metrics.connectionRefused(), open: (count) => telemetry.metrics.connections(count) }, logger);
  installExpectContinue(app);
  const events = new EventStream({ state, intervalMs: o.eventIntervalMs, heartbeatMs: o.heartbeatMs, maxClients: o.maxEventClients, metrics: telemetry.metrics, logger: app.log, headers: pageHeaders });
  telemetry.scopes.onChange(() => events.notify());
  const transitions = vix?.onTransition((transition) => {
    events.send('transition', transition);
    events.notify();
  });

  installJsonParser(app, o.bodyLimit);
  installHooks(app, telemetry, headers);
  app.setErrorHandler((error, request, reply) => handleError(error, request, reply, o.unreadLingerMs));
  app.setNotFoundHandler((request) => {
    throw new HttpError('not_found', null, `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 100)}`);
  });
  app.addHook('preClose', async () => events.close());
  app.addHook('onClose', async () => {
    health.stop();
    transitions?.dispose();
    tracing?.dispose();
    publisherEnds?.dispose();
    await breaker.close();
    if (ownsVix) await vix?.close();
  });

  const authorize = o.apiToken === null ? undefined : bearerAuthorizer(o.apiToken, API_CREDENTIAL);
  registerTtlRoutes(app, breaker, { authorize, maxBatchItems: o.maxBatchItems });
  if (vix) registerTickRoutes(app, vix, { bodyLimit: o.ticksBodyLimit, maxTicks: o.maxTicksPerBatch, maxConcurrent: o.maxConcurrentTickBatches, maxTicksPerSecond: o.maxTicksPerSecond, authorize });
  const aggregate = o.aggregateMetrics as VixTtlServerOptions['aggregateMetrics'];
  registerStateRoutes(app, {
    state,
    events,
    metrics: telemetry.metrics,
    render: aggregate?.(telemetry.metrics.registry),
    metricsMaxAgeMs: o.metricsMaxAgeMs,
    authorizeMetrics: o.metricsToken === null ? undefined : bearerAuthorizer(o.metricsToken, METRICS_CREDENTIAL),
  });
  registerHealthRoutes(app, health);
  registerAdminRoutes(app, {
    clock: o.adminClock ?? o.clock,
    adminToken: o.adminToken,
    timeoutMs: o.adminTimeoutMs,
    onChange: (scope) => {
      telemetry.scopes.touch(scope);
      state.forget(scope);
      events.notify();
    },
  });
  const { assets, missing } = loadDashboardAssets();
  if (missing.length > 0) logger.warn({ missing }, 'VIX_TTL_DASHBOARD_ASSETS_MISSING');
  registerDashboardRoutes(app, assets, pageHeaders);
  registerOpenApiRoutes(app, openApiDocumentText(PACKAGE_VERSION));
  return { app, breaker, telemetry, state, health, events, vix };
}

/** Only JSON bodies; prototype-pollution keys refused with the path named. */
function installJsonParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The API headers on every answer (the dashboard's routes add the page headers); while
 * closing, a 503 `shutting_down` for requests still arriving on open connections; a 400
 * naming `host` for an HTTP/1.1 request without one (Node's own answer has no body).
 * Then the HTTP histogram: each route records into series found once, when the route
 * is added (`onRoute`), so a request costs no label lookup; a request no route matched
 * is recorded as `unmatched`.
 */
function installHooks(app: FastifyInstance, telemetry: ServiceTelemetry, headers: Readonly<Record<string, string>>): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers);
    if (closing) return done(new HttpError('shutting_down', null, 'the service is shutting down; retry on another instance'));
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') return done(new HttpError('bad_request', 'host', 'host header is required in HTTP/1.1'));
    done();
  });
  const metrics = telemetry.metrics;
  const record = (request: FastifyRequest, reply: FastifyReply, recorder: HttpRouteRecorder, route: string) => {
    recorder.record(reply.statusCode, reply.elapsedTime);
    if (reply.statusCode >= 500) request.log.warn({ reqId: request.id, method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime }, 'VIX_TTL_HTTP_5XX');
  };
  const recorders = new Map<string, HttpRouteRecorder>(); // by method and route template
  const recorderOf = (method: string, route: string) => {
    const key = `${method} ${route}`;
    let recorder = recorders.get(key);
    if (!recorder) recorders.set(key, (recorder = metrics.httpRoute(method, route)));
    return recorder;
  };
  app.addHook('onRoute', (route) => {
    const { url } = route;
    const only = typeof route.method === 'string' ? recorderOf(route.method, url) : null;
    const onResponse: onResponseHookHandler = (request, reply, done) => {
      record(request, reply, only ?? recorderOf(request.method, url), url);
      done();
    };
    route.onResponse = [...hooksOf(route.onResponse), onResponse];
  });
  // A request no route matched (its method is one Node's parser knows: a bounded label).
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) record(request, reply, recorderOf(request.method, 'unmatched'), 'unmatched');
    done();
  });
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

function requestIdGenerator(): (req: { headers: Record<string, string | string[] | undefined> }) => string {
  let counter = 0;
  return (req) => {
    const given = req.headers['x-request-id'];
    if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
    counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
    return `req-${counter.toString(36)}`;
  };
}
