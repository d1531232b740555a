import { configFlag } from './config-flag.js';
import type { FlagTable } from './flag-spec.js';

/** The longest `--workers`: more processes than this on one host is a mistake, not a need. */
export const MAX_WORKERS = 64;

/**
 * The flags of `vix-ttl serve`. A flag with `file` is also a key of the config
 * file (its camelCase name in that section), validated by the same rule.
 */
export const SERVE_FLAGS = {
  config: configFlag('every section'),
  port: { type: 'integer', value: 'PORT', min: 0, max: 65_535, default: 8080, env: 'PORT', file: 'server.port', meaning: 'TCP port to listen on (0: any free port).' },
  host: {
    type: 'string',
    value: 'HOST',
    default: '127.0.0.1',
    env: 'HOST',
    file: 'server.host',
    pattern: { regex: /^[A-Za-z0-9.:[\]_-]{1,255}$/, rule: 'a host name or an IP address' },
    meaning: 'Interface to listen on (0.0.0.0 in a container).',
  },
  redis: {
    type: 'string',
    value: 'URL',
    env: 'REDIS_URL',
    file: 'redis.url',
    defaultText: 'none: the in-memory clock, decisions agree within one process',
    meaning: 'The shared panic clock, redis:// or rediss://. Prefer REDIS_URL for a URL with a password: a command line is visible to other local users, and a config file may not carry one.',
  },
  workers: { type: 'integer', value: 'N', min: 1, max: MAX_WORKERS, default: 1, file: 'server.workers', meaning: 'Worker processes sharing the port (node:cluster); more than 1 needs Redis.' },
  'max-worker-restarts': {
    type: 'integer',
    value: 'N',
    min: 0,
    max: 100_000,
    default: 5,
    file: 'server.maxWorkerRestarts',
    meaning: 'The crash budget, with --workers 2 or more: worker exits the primary did not ask for (crashes, clean exits) are replaced, but one more than N within --restart-window-ms stops the service (exit 1, VIX_TTL_CRASH_LOOP).',
  },
  'restart-window-ms': {
    type: 'integer',
    value: 'MS',
    min: 1000,
    max: 86_400_000,
    default: 30_000,
    file: 'server.restartWindowMs',
    meaning: 'The window --max-worker-restarts counts worker exits in.',
  },
  demo: { type: 'boolean', meaning: 'Runs the in-memory clock on an accelerated time source with simulated odds ticks driving the VIX engine; no Redis, one process.' },
  'demo-speed': { type: 'integer', value: 'X', min: 1, max: 10_000, default: 120, meaning: 'How much faster than real time the demo clock runs (with --demo).' },
  'request-timeout-ms': {
    type: 'integer',
    value: 'MS',
    min: 100,
    max: 600_000,
    default: 30_000,
    file: 'server.requestTimeoutMs',
    meaning: 'Longest a request may take to arrive, headers and body; past it a 408 and the connection is closed.',
  },
  'max-connections': {
    type: 'integer',
    value: 'N',
    min: 1,
    max: 1_000_000,
    default: 10_000,
    file: 'server.maxConnections',
    meaning:
      'Most open client connections per process; past it a new connection is closed at once (logged VIX_TTL_CONNECTIONS_FULL, counted) and connections without a request under way are closed to make room. Keep it below the file descriptor limit (ulimit -n).',
  },
  'keep-alive-timeout-ms': {
    type: 'integer',
    value: 'MS',
    min: 100,
    max: 600_000,
    default: 5000,
    file: 'server.keepAliveTimeoutMs',
    meaning: "How long an idle keep-alive connection is kept; behind a load balancer that reuses idle connections, set it above the balancer's idle timeout.",
  },
  'max-panic-scopes': {
    type: 'integer',
    value: 'N',
    min: 1,
    max: 1_000_000,
    default: 1000,
    file: 'breaker.maxPanicScopes',
    meaning: 'Most distinct scopes a process holds in panic; a panic in a new scope past it is only read, never written: a start another host wrote decides, without one it fails safe (TTL 0, reason scope_limit).',
  },
  shadow: {
    type: 'boolean',
    meaning:
      'Shadow mode: POST /v1/ttl answers the request\'s base TTL (what the caller does without vix-ttl) with the decision that would have applied as "shadow"; decisions are still taken, logged and measured (vix_ttl_shadow_* metrics). Also VIX_TTL_SHADOW=true|false and breaker.shadow in the config file.',
  },
  'tick-skew-ms': {
    type: 'integer',
    value: 'MS',
    min: 0,
    max: 86_400_000,
    default: 60_000,
    file: 'server.tickSkewMs',
    meaning: 'A tick further than this ahead of the wall clock is rejected (future_ts).',
  },
  'tick-max-age-ms': {
    type: 'integer',
    value: 'MS',
    min: 1000,
    max: 900_000,
    default: 300_000,
    file: 'server.tickMaxAgeMs',
    meaning: 'A tick further than this behind the wall clock is rejected (stale_ts): a feed in Unix seconds, a stale backlog. At most 15 min, half the time after which the engine drops an idle scope.',
  },
  'vix-warmup-ms': {
    type: 'integer',
    value: 'MS',
    min: 0,
    max: 86_400_000,
    default: 300_000,
    file: 'vix.warmupMs',
    meaning: 'How long the VIX engine follows a new scope, on the wall clock, before its status may leave calm (with 100 returns from 3 markets); history posted for it does not count.',
  },
  'max-tick-batches': { type: 'integer', value: 'N', min: 1, max: 1000, default: 1, file: 'server.maxTickBatches', meaning: 'POST /v1/ticks batches one process takes at once; past it a 429 busy with Retry-After.' },
  'max-ticks-per-second': {
    type: 'integer',
    value: 'N',
    min: 1,
    max: 100_000_000,
    default: 100_000,
    file: 'server.maxTicksPerSecond',
    meaning: 'Ticks per second one process takes on POST /v1/ticks (a token bucket of two full batches); past it a 429 busy.',
  },
  'publish-market-changes': {
    type: 'boolean',
    meaning:
      'Publishes each market whose price moved on vix-ttl:market-changes (coalesced per 100 ms, at most 20 messages a second), where caches with invalidateOn.marketChanges drop the entries tagged market:<id>. Needs Redis.',
  },
  'log-format': {
    type: 'choice',
    value: 'FORMAT',
    choices: ['json', 'pretty'],
    default: 'json',
    meaning: 'Log lines as JSON (for machines), or pretty for a person at a terminal (needs the optional dependency pino-pretty).',
  },
  json: { type: 'boolean', meaning: 'Logs as JSON lines: the default, the same as --log-format json.' },
} as const satisfies FlagTable;
