import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import { InvalidInputError } from '../../core/errors.js';
import { MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH } from '../../server/http/bearer-auth.js';
import { runClusterPrimary } from '../../server/process/cluster-primary.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../server/http/http-timeouts.js';
import { startService, type ServiceConfig } from '../../server/process/run-service.js';
import { startVixHost } from '../../server/process/vix-host.js';
import { CliUsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { parseFlags, type FlagValues } from '../parse-flags.js';
import { redisUrlFrom, withoutSecrets } from '../redis-connection.js';

/** Usage of `vix-ttl serve`, shown by `serve --help` and `vix-ttl help`. */
export const SERVE_HELP = `vix-ttl serve [--port 8080] [--host 127.0.0.1] [--redis URL] [--workers N] [--demo] [--demo-speed 120]
              [--request-timeout-ms 30000] [--max-panic-scopes 1000]
              [--tick-skew-ms 60000] [--max-tick-batches 1] [--max-ticks-per-second 100000]
  The HTTP service (POST /v1/ttl, POST /v1/ticks, /v1/state, /v1/events, /metrics, /healthz,
  /readyz, admin routes) and the Brain Lab dashboard at /. One VIX engine per service (with
  --workers, in the primary), publishing its statuses to the clock. --workers N needs --redis.
  --demo runs the in-memory clock ×120 with simulated odds ticks driving the engine. Stops on
  SIGTERM/SIGINT after draining. --max-panic-scopes N: most distinct scopes a process holds in
  panic; a panic in a new scope past it fails safe (TTL 0, reason scope_limit) and is not
  written. A tick more than --tick-skew-ms ahead of the wall clock is rejected (future_ts); past
  --max-tick-batches batches at once or --max-ticks-per-second ticks per process, POST /v1/ticks
  is a 429 busy with Retry-After.`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MAX_WORKERS = 64;

/** `vix-ttl serve`: runs the service until SIGTERM or SIGINT; resolves once it has shut down. */
export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    redis: { type: 'string' },
    workers: { type: 'string' },
    demo: { type: 'boolean' },
    'demo-speed': { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    'max-panic-scopes': { type: 'string' },
    'tick-skew-ms': { type: 'string' },
    'max-tick-batches': { type: 'string' },
    'max-ticks-per-second': { type: 'string' },
  });
  if (flags.help) return io.out(SERVE_HELP), 0;
  const config = serviceConfig(flags, io.env);
  const level = logLevel(io.env.LOG_LEVEL);
  const scrub = secretScrubber(config.redisUrl);
  const logger = pino({ level, name: 'vix-ttl' }, { write: (line: string) => io.out(scrub(line.replace(/\n$/, ''))) });
  if (config.demo && io.env.REDIS_URL) logger.info('VIX_TTL_DEMO: REDIS_URL ignored, the demo runs the in-memory clock');
  if (config.workers > 1 && cluster.isPrimary) return servePrimary(config, logger, io);
  return serveOne(config, logger, io);
}

async function serveOne(config: ServiceConfig, logger: Logger, io: CliIo): Promise<number> {
  const service = await startService(config, logger);
  const stop = stopRequests(io);
  try {
    await stop.requested;
    await service.close();
  } finally {
    stop.dispose();
  }
  if (cluster.isWorker) cluster.worker?.disconnect();
  return 0;
}

/** The primary runs the one VIX engine and its publisher; workers forward ticks to it and read the published status. */
async function servePrimary(config: ServiceConfig, logger: Logger, io: CliIo): Promise<number> {
  const vix = await startVixHost({ redisUrl: config.redisUrl!, logger, maxTickSkewMs: config.maxTickSkewMs });
  const primary = runClusterPrimary({ workers: config.workers, logger, shutdownTimeoutMs: config.shutdownTimeoutMs, extraMetrics: () => vix.metrics() });
  const stop = stopRequests(io);
  void stop.requested.then(() => primary.shutdown());
  try {
    return await primary.done;
  } finally {
    stop.dispose();
    await vix.close(); // the publisher first, then Redis
  }
}

/**
 * `requested` resolves on the first SIGTERM or SIGINT (or, in a worker, when the
 * primary goes away); a second signal while draining exits at once. `dispose`
 * removes the handlers once the service is down.
 */
function stopRequests(io: CliIo): { requested: Promise<void>; dispose(): void } {
  let requested = false;
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  const onSignal = (signal: NodeJS.Signals | 'disconnect') => {
    if (!requested) {
      requested = true;
      resolve();
      return;
    }
    if (signal === 'disconnect') return;
    io.err(`vix-ttl serve: second ${signal} while draining; exiting now`);
    process.exit(1);
  };
  const onDisconnect = () => onSignal('disconnect');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (cluster.isWorker) process.on('disconnect', onDisconnect);
  return {
    requested: promise,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('disconnect', onDisconnect);
    },
  };
}

/**
 * Every log line is scrubbed of the Redis URL's secrets, whatever a future log call
 * puts in it: inside the line's string values only, so that a password made of JSON
 * punctuation cannot break the line.
 */
function secretScrubber(redisUrl: string | undefined): (line: string) => string {
  if (redisUrl === undefined) return (line) => line;
  const urls = [redisUrl];
  return (line) => {
    try {
      return JSON.stringify(JSON.parse(line), (_key, value: unknown) => (typeof value === 'string' ? withoutSecrets(value, urls) : value));
    } catch {
      return withoutSecrets(line, urls);
    }
  };
}

/** Validates flags and environment into a service configuration (a usage error names the flag). */
export function serviceConfig(flags: FlagValues, env: NodeJS.ProcessEnv): ServiceConfig {
  const demo = flags.demo === true;
  const port = integer(flags.port !== undefined ? '--port' : 'PORT', (flags.port as string | undefined) ?? (env.PORT || undefined), 8080, 0, 65_535);
  const host = (flags.host as string | undefined) ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:[\]_-]{1,255}$/.test(host)) throw new InvalidInputError('--host', 'must be a host name or an IP address', host);
  const workers = integer('--workers', flags.workers as string | undefined, 1, 1, MAX_WORKERS);
  const demoSpeed = integer('--demo-speed', flags['demo-speed'] as string | undefined, 120, 1, 10_000);
  const requestTimeoutMs = integer('--request-timeout-ms', flags['request-timeout-ms'] as string | undefined, DEFAULT_REQUEST_TIMEOUT_MS, 100, 600_000);
  const maxPanicScopes = integer('--max-panic-scopes', flags['max-panic-scopes'] as string | undefined, 1000, 1, 1_000_000);
  if (flags['demo-speed'] !== undefined && !demo) throw new CliUsageError('--demo-speed only applies with --demo');
  if (demo && flags.redis !== undefined) throw new CliUsageError('--demo runs the in-memory clock on an accelerated time source; it cannot use --redis');
  if (demo && workers > 1) throw new CliUsageError('--demo runs in one process; drop --workers');
  const redisUrl = demo ? undefined : redisUrlFrom(flags.redis as string | undefined, env);
  if (workers > 1 && redisUrl === undefined) {
    throw new CliUsageError(`--workers ${workers} needs a shared clock: pass --redis redis://HOST:PORT or set REDIS_URL (in-memory clocks cannot agree across processes)`);
  }
  const adminToken = bearerToken('VIX_TTL_ADMIN_TOKEN', env.VIX_TTL_ADMIN_TOKEN, 'disable the admin routes');
  const apiToken = bearerToken('VIX_TTL_API_TOKEN', env.VIX_TTL_API_TOKEN, 'leave POST /v1/ttl and POST /v1/ticks open');
  const metricsToken = bearerToken('VIX_TTL_METRICS_TOKEN', env.VIX_TTL_METRICS_TOKEN, 'leave GET /metrics open');
  distinctTokens({ VIX_TTL_ADMIN_TOKEN: adminToken, VIX_TTL_API_TOKEN: apiToken, VIX_TTL_METRICS_TOKEN: metricsToken });
  const maxTickSkewMs = integer('--tick-skew-ms', flags['tick-skew-ms'] as string | undefined, 60_000, 0, 86_400_000);
  const maxTickBatches = integer('--max-tick-batches', flags['max-tick-batches'] as string | undefined, 1, 1, 1000);
  const maxTicksPerSecond = integer('--max-ticks-per-second', flags['max-ticks-per-second'] as string | undefined, 100_000, 1, 100_000_000);
  return { port, host, redisUrl, workers, demo, demoSpeed, maxPanicScopes, adminToken, apiToken, metricsToken, requestTimeoutMs, shutdownTimeoutMs: 10_000, maxTickSkewMs, maxTickBatches, maxTicksPerSecond };
}

/** Two variables holding the same token are refused: the holder of one would open the other's routes too. */
function distinctTokens(tokens: Record<string, string | null>): void {
  const set = Object.entries(tokens).filter((entry): entry is [string, string] => entry[1] !== null);
  for (const [i, [name, value]] of set.entries()) {
    const twin = set.slice(i + 1).find(([, other]) => other === value);
    if (twin) throw new CliUsageError(`${name} and ${twin[0]} must differ: with one token, whoever holds it opens the routes of both`);
  }
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) throw new InvalidInputError(name, `must be an integer from ${min} to ${max}`, value);
  return number;
}

function logLevel(value: string | undefined): string {
  if (value === undefined || value === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new InvalidInputError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`, value);
  return value;
}

/**
 * A bearer token from the environment (admin, API or metrics), never echoed in an
 * error. Set but empty is an error, not "unset": `VIX_TTL_API_TOKEN=` must not
 * silently leave the API open. `unsetMeans` says what leaving it unset does.
 */
function bearerToken(variable: string, value: string | undefined, unsetMeans: string): string | null {
  if (value === undefined) return null;
  if (value === '') throw new CliUsageError(`${variable} is set but empty: unset it to ${unsetMeans}, or set a token of at least ${MIN_TOKEN_LENGTH} characters`);
  if (value.length < MIN_TOKEN_LENGTH) {
    throw new CliUsageError(`${variable} must be at least ${MIN_TOKEN_LENGTH} characters (it has ${value.length}); use e.g. openssl rand -hex 24`);
  }
  if (value.length > MAX_TOKEN_LENGTH || /\s/.test(value)) throw new CliUsageError(`${variable} must be at most ${MAX_TOKEN_LENGTH} characters, without spaces`);
  return value;
}
