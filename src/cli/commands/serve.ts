import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import { describeValue, InvalidInputError } from '../../core/errors.js';
import { MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH } from '../../server/http/bearer-auth.js';
import { runClusterPrimary } from '../../server/process/cluster-primary.js';
import { publisherRefreshMs, startService, type ServiceConfig, type ServiceLimits } from '../../server/process/run-service.js';
import { startVixHost } from '../../server/process/vix-host.js';
import { LogVolume } from '../../server/state/log-volume.js';
import { CliUsageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { commandHelp } from '../command-help.js';
import { CONFIG_ENV } from '../config-flag.js';
import { configFileFrom, SERVER_LIMITS, type ConfigFile } from '../config-file.js';
import type { CommandSpec } from '../flag-spec.js';
import { emptyVariable, parseFlags, settingFrom, type ParsedFlags } from '../parse-flags.js';
import { redisUrlFrom, withoutSecrets } from '../redis-connection.js';
import { SERVE_FLAGS } from '../serve-flags.js';

/** `vix-ttl serve`: its flags, synopsis and help. */
export const SERVE_SPEC: CommandSpec<typeof SERVE_FLAGS> = {
  name: 'serve',
  summary: 'the HTTP service and the Brain Lab dashboard',
  synopsis: '[--config FILE] [--port 8080] [--host 127.0.0.1] [--redis URL] [--workers N] [--demo] [flags]',
  description: [
    'Serves POST /v1/ttl, POST /v1/ticks, /v1/state, /v1/events, /metrics, /healthz, /readyz, the admin routes and the',
    'dashboard at /. One VIX engine per service (with --workers, in the primary) publishes its statuses to the clock.',
    'Stops on SIGTERM/SIGINT after draining; a second signal exits at once.',
    '',
    'Settings come from flags, then environment variables, then the config file (--config or VIX_TTL_CONFIG), then',
    'the defaults. The file also sets what has no flag: the policy (tier tables, league lists), the VIX engine',
    '(thresholds, delays), the Redis key prefix and timeouts, the server limits (README, "Configuration file").',
    '',
    'Environment only: LOG_LEVEL (fatal, error, warn, info, debug, trace, silent; default info), VIX_TTL_ADMIN_TOKEN',
    '(admin routes), VIX_TTL_API_TOKEN (POST /v1/ttl and /v1/ticks): tokens never come from the file.',
    '',
    'Shadow mode is on with --shadow, else as VIX_TTL_SHADOW says (true or false), else as breaker.shadow in the file',
    'says; default off. VIX_TTL_SHADOW=true puts a service started from a live config file back in shadow (a rollback).',
  ].join('\n'),
  flags: SERVE_FLAGS,
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `vix-ttl serve`: runs the service until SIGTERM or SIGINT; resolves once it has shut down. */
export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(SERVE_SPEC, argv);
  if (parsed.help) return io.out(commandHelp(SERVE_SPEC)), 0;
  const file = configFileFrom(parsed.values.config, io.env, CONFIG_ENV);
  const config = serviceConfig(parsed, io.env, file);
  const level = logLevel(io.env.LOG_LEVEL);
  const scrub = secretScrubber(config.redisUrl);
  const show = parsed.values['log-format'] === 'pretty' ? await prettyPrinter() : (line: string) => line;
  const logVolume = new LogVolume();
  const logger = pino({ level, name: 'vix-ttl', hooks: logVolume.hooks }, { write: (line: string) => io.out(show(scrub(line.replace(/\n$/, '')))) });
  if (config.demo && (io.env.REDIS_URL || file?.redis?.url)) logger.info('VIX_TTL_DEMO: REDIS_URL and redis.url ignored, the demo runs the in-memory clock');
  const unused = unusedWorkerSettings(config.workers, file);
  if (unused.length > 0) {
    logger.warn({ keys: unused, workers: config.workers }, `VIX_TTL_CONFIG_UNUSED: ${unused.join(' and ')} in the config file apply only with --workers > 1 (one process has no worker to restart); ignored`);
  }
  if (config.workers > 1 && cluster.isPrimary) return servePrimary(config, logger, io, logVolume);
  return serveOne(config, logger, io, logVolume);
}

async function serveOne(config: ServiceConfig, logger: Logger, io: CliIo, logVolume: LogVolume): Promise<number> {
  // Signals are taken before the service starts: one that arrives while it starts (or just
  // after VIX_TTL_LISTENING) drains it like any other, instead of killing the process.
  const stop = stopRequests(io);
  try {
    const service = await startService(config, logger, { logVolume });
    await stop.requested;
    await service.close();
  } finally {
    stop.dispose();
  }
  if (cluster.isWorker) cluster.worker?.disconnect();
  return 0;
}

/** The primary runs the one VIX engine and its publisher; workers forward ticks to it and read the published status. */
async function servePrimary(config: ServiceConfig, logger: Logger, io: CliIo, logVolume: LogVolume): Promise<number> {
  const stop = stopRequests(io);
  const vix = await startVixHost({
    redisUrl: config.redisUrl!,
    logger,
    maxTickSkewMs: config.maxTickSkewMs,
    maxTickAgeMs: config.maxTickAgeMs,
    maxPanicScopes: config.maxPanicScopes,
    clock: config.clock,
    vix: config.vix,
    refreshIntervalMs: publisherRefreshMs(config.clock?.deadManSwitchSeconds, 1),
    publishMarketChanges: config.publishMarketChanges,
    logVolume,
  }).catch((error: unknown) => {
    stop.dispose();
    throw error;
  });
  const primary = runClusterPrimary({ workers: config.workers, maxRestarts: config.maxWorkerRestarts, restartWindowMs: config.restartWindowMs, logger, shutdownTimeoutMs: config.shutdownTimeoutMs, primaryRegistry: vix.registry });
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

/** The crash-budget flags, which mean nothing to one process: given on the command line with one worker, refused. */
const WORKER_ONLY_FLAGS = ['max-worker-restarts', 'restart-window-ms'] as const;

/**
 * The crash-budget keys the config file sets (`server.maxWorkerRestarts`, `server.restartWindowMs`)
 * when the service runs one process, which has no worker to restart: not refused, as the same
 * flags are (a file may serve several deployments, the shipped example sets them with one
 * worker), but worth a warning, or a reader of the file believes a budget is in force.
 */
function unusedWorkerSettings(workers: number, file: ConfigFile | undefined): string[] {
  const server = file?.server;
  if (workers > 1 || server === undefined) return [];
  const set = { 'max-worker-restarts': server.maxWorkerRestarts, 'restart-window-ms': server.restartWindowMs };
  return WORKER_ONLY_FLAGS.filter((flag) => set[flag] !== undefined).map((flag) => SERVE_FLAGS[flag].file);
}

/**
 * Validates flags, environment and config file into a service configuration, by
 * precedence flags > environment > file > defaults. A usage error names the flag
 * or the variable; the file was checked when it was read.
 */
export function serviceConfig(parsed: ParsedFlags<typeof SERVE_FLAGS>, env: NodeJS.ProcessEnv, file?: ConfigFile): ServiceConfig {
  const setting = <K extends keyof typeof SERVE_FLAGS & string>(name: K) => settingFrom(SERVE_SPEC, parsed, name, env, file);
  const flags = parsed.values;
  const demo = flags.demo === true;
  const workers = setting('workers')!;
  if (flags.json && flags['log-format'] === 'pretty') throw new CliUsageError('--json asks for JSON logs and --log-format pretty for pretty ones: give one');
  if (parsed.given.has('demo-speed') && !demo) throw new CliUsageError('--demo-speed only applies with --demo');
  if (demo && flags.redis !== undefined) throw new CliUsageError('--demo runs the in-memory clock on an accelerated time source; it cannot use --redis');
  const workersFrom = parsed.given.has('workers') ? '--workers' : 'server.workers in the config file';
  if (demo && workers > 1) throw new CliUsageError(`--demo runs in one process; drop --workers (${workers}, from ${workersFrom})`);
  for (const flag of WORKER_ONLY_FLAGS) {
    if (parsed.given.has(flag) && workers === 1) throw new CliUsageError(`--${flag} only applies with --workers 2 or more (one process has no worker to restart)`);
  }
  const redisUrl = demo ? undefined : (redisUrlFrom(flags.redis, env) ?? file?.redis?.url);
  if (workers > 1 && redisUrl === undefined) {
    const given = parsed.given.has('workers') ? `--workers ${workers}` : `${workers} workers (${workersFrom})`;
    throw new CliUsageError(`${given} needs a shared clock: pass --redis redis://host:6379, set REDIS_URL or redis.url in the config file (in-memory clocks cannot agree across processes)`);
  }
  const adminToken = bearerToken('VIX_TTL_ADMIN_TOKEN', env.VIX_TTL_ADMIN_TOKEN, 'disable the admin routes');
  const apiToken = bearerToken('VIX_TTL_API_TOKEN', env.VIX_TTL_API_TOKEN, 'leave POST /v1/ttl and POST /v1/ticks open');
  const metricsToken = bearerToken('VIX_TTL_METRICS_TOKEN', env.VIX_TTL_METRICS_TOKEN, 'leave GET /metrics open');
  distinctTokens({ VIX_TTL_ADMIN_TOKEN: adminToken, VIX_TTL_API_TOKEN: apiToken, VIX_TTL_METRICS_TOKEN: metricsToken });
  const { url: _url, ...clock } = file?.redis ?? {};
  const limits = Object.fromEntries(SERVER_LIMITS.flatMap((key) => (file?.server?.[key] === undefined ? [] : [[key, file.server[key]]]))) as ServiceLimits;
  const publishMarketChanges = flags['publish-market-changes'] === true;
  if (publishMarketChanges && redisUrl === undefined) throw new CliUsageError('--publish-market-changes publishes on Redis pub/sub: pass --redis redis://HOST:PORT, set REDIS_URL or redis.url in the config file');
  return {
    port: setting('port')!,
    host: setting('host')!,
    redisUrl,
    workers,
    maxWorkerRestarts: setting('max-worker-restarts'),
    restartWindowMs: setting('restart-window-ms'),
    demo,
    demoSpeed: flags['demo-speed']!,
    maxPanicScopes: setting('max-panic-scopes'),
    adminToken,
    apiToken,
    metricsToken,
    requestTimeoutMs: setting('request-timeout-ms'),
    maxConnections: setting('max-connections'),
    keepAliveTimeoutMs: setting('keep-alive-timeout-ms'),
    shutdownTimeoutMs: file?.server?.shutdownTimeoutMs ?? 10_000,
    maxTickSkewMs: setting('tick-skew-ms'),
    maxTickAgeMs: setting('tick-max-age-ms'),
    maxTickBatches: setting('max-tick-batches'),
    maxTicksPerSecond: setting('max-ticks-per-second'),
    clock: file?.redis ? clock : undefined,
    policy: file?.policy,
    vix: parsed.given.has('vix-warmup-ms') ? { ...file?.vix, warmupMs: flags['vix-warmup-ms'] } : file?.vix,
    syncIntervalMs: file?.breaker?.syncIntervalMs,
    shadow: flags.shadow === true || (shadowFromEnv(env.VIX_TTL_SHADOW) ?? file?.breaker?.shadow ?? false),
    limits,
    publishMarketChanges,
  };
}

/** Two variables holding the same token are refused: the holder of one would open the other's routes too. */
function distinctTokens(tokens: Record<string, string | null>): void {
  const set = Object.entries(tokens).filter((entry): entry is [string, string] => entry[1] !== null);
  for (const [i, [name, value]] of set.entries()) {
    const twin = set.slice(i + 1).find(([, other]) => other === value);
    if (twin) throw new CliUsageError(`${name} and ${twin[0]} must differ: with one token, whoever holds it opens the routes of both`);
  }
}

/**
 * Renders JSON log lines for a person, with pino-pretty (an optional dependency,
 * loaded only here). Each line is scrubbed of secrets before it is rendered.
 */
async function prettyPrinter(): Promise<(line: string) => string> {
  let prettyFactory: (options: Record<string, unknown>) => (line: string) => string;
  try {
    ({ prettyFactory } = (await import('pino-pretty')) as unknown as { prettyFactory: typeof prettyFactory });
  } catch {
    throw new CliUsageError('--log-format pretty needs pino-pretty, an optional dependency that is not installed: npm install pino-pretty, or pipe the JSON logs: vix-ttl serve | npx pino-pretty');
  }
  const pretty = prettyFactory({ translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,name' });
  return (line) => pretty(line).replace(/\n$/, '');
}

/** `VIX_TTL_SHADOW`: true or false (1 or 0); absent says nothing; set but empty is an error (it must not silently go live). */
function shadowFromEnv(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === '') throw emptyVariable('VIX_TTL_SHADOW', 'true or false');
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CliUsageError(`VIX_TTL_SHADOW must be true or false (or 1 or 0), got ${describeValue(value)}`);
}

function logLevel(value: string | undefined): string {
  if (value === undefined) return 'info';
  if (value === '') throw emptyVariable('LOG_LEVEL', LOG_LEVELS.join(', '));
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
