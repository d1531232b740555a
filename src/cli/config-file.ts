import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { z } from 'zod';
import { breakerOptionsSchema } from '../breaker/vix-circuit-breaker.js';
import { redisPanicClockOptionsSchema } from '../clock/redis-panic-clock.js';
import { refineGrace } from '../clock/clock-options.js';
import { describeValue, InvalidConfigError } from '../core/errors.js';
import { redactUrl } from '../core/redact-url.js';
import { panicPolicyOptionsSchema, resolvePanicPolicy } from '../policy/policy-config.js';
import { serverOptionsSchema } from '../server/http/create-server.js';
import { vixEngineSettingsSchema } from '../vix/vix-options.js';
import { ConfigFileError } from './cli-error.js';
import { MAX_TEXT_LENGTH, type FlagSpec } from './flag-spec.js';
import { emptyVariable } from './parse-flags.js';
import { SERVE_FLAGS } from './serve-flags.js';

/** The largest config file read; a bigger one is refused before it is read. */
export const MAX_CONFIG_BYTES = 1_048_576;

/** The createServer limits the `server` section sets (same names, same rules). */
export const SERVER_LIMITS = [
  'bodyLimit',
  'ticksBodyLimit',
  'maxTicksPerBatch',
  'maxBatchItems',
  'maxTrackedScopes',
  'maxEventClients',
  'displayBaseTtl',
  'eventIntervalMs',
  'heartbeatMs',
  'readyTimeoutMs',
  'healthIntervalMs',
  'adminTimeoutMs',
  'metricsMaxAgeMs',
  'stalledConnectionFloorMs',
  'unreadLingerMs',
] as const;

/** The value rule of a flag, as a schema: the file is held to what the command line is. */
function schemaOfFlag(flag: FlagSpec): z.ZodType {
  switch (flag.type) {
    case 'boolean':
      return z.boolean();
    case 'integer':
      return z.number().int().min(flag.min).max(flag.max);
    case 'number': {
      let schema = z.number();
      if (flag.min !== undefined) schema = schema.min(flag.min);
      if (flag.max !== undefined) schema = schema.max(flag.max);
      return schema;
    }
    case 'choice':
      return z.enum(flag.choices as [string, ...string[]]);
    case 'string': {
      const schema = z.string().min(1, 'must not be empty').max(MAX_TEXT_LENGTH);
      return flag.pattern ? schema.regex(flag.pattern.regex, `must be ${flag.pattern.rule}`) : schema;
    }
  }
}

type ServeFlags = typeof SERVE_FLAGS;
type ValueOfFlag<K extends keyof ServeFlags> = ServeFlags[K] extends { type: 'integer' | 'number' } ? number : string;

/** The key a `serve` flag also has in the file (`server.port` ← `--port`, as the flag's `file` says), held to the flag's rule. */
function flagKey<K extends keyof ServeFlags>(name: K): z.ZodOptional<z.ZodType<ValueOfFlag<K>>> {
  return schemaOfFlag(SERVE_FLAGS[name]).optional() as z.ZodOptional<z.ZodType<ValueOfFlag<K>>>;
}

const serverLimits = Object.fromEntries(SERVER_LIMITS.map((key) => [key, serverOptionsSchema.shape[key].optional()])) as {
  [K in (typeof SERVER_LIMITS)[number]]: z.ZodOptional<(typeof serverOptionsSchema.shape)[K]>;
};

const clockShape = redisPanicClockOptionsSchema.shape;

/**
 * The whole config file of `vix-ttl serve` (and, for their sections, of the other
 * commands): one strict schema built from the components' own schemas, so a file
 * is held to the rules the code is. Unknown keys are errors.
 */
export const configFileSchema = z.strictObject({
  server: z
    .strictObject({
      host: flagKey('host'),
      port: flagKey('port'),
      workers: flagKey('workers'),
      maxWorkerRestarts: flagKey('max-worker-restarts'),
      restartWindowMs: flagKey('restart-window-ms'),
      requestTimeoutMs: flagKey('request-timeout-ms'),
      maxConnections: flagKey('max-connections'),
      keepAliveTimeoutMs: flagKey('keep-alive-timeout-ms'),
      tickSkewMs: flagKey('tick-skew-ms'),
      tickMaxAgeMs: flagKey('tick-max-age-ms'),
      maxTickBatches: flagKey('max-tick-batches'),
      maxTicksPerSecond: flagKey('max-ticks-per-second'),
      shutdownTimeoutMs: z.number().int().min(0).max(600_000).optional(),
      ...serverLimits,
    })
    .optional(),
  redis: z
    .strictObject({
      url: flagKey('redis'),
      keyPrefix: clockShape.keyPrefix.optional(),
      timeoutMs: clockShape.timeoutMs.optional(),
      maxInFlight: clockShape.maxInFlight.optional(),
      deadManSwitchSeconds: clockShape.deadManSwitchSeconds,
      calmGraceSeconds: clockShape.calmGraceSeconds,
      maxClockSkewSeconds: clockShape.maxClockSkewSeconds.optional(),
      maxScopes: clockShape.maxScopes.optional(),
      maxKeysPerScript: clockShape.maxKeysPerScript.optional(),
    })
    .superRefine(refineGrace)
    .optional(),
  policy: panicPolicyOptionsSchema.optional(),
  vix: vixEngineSettingsSchema.optional(),
  breaker: z
    .strictObject({
      maxPanicScopes: flagKey('max-panic-scopes'),
      syncIntervalMs: breakerOptionsSchema.shape.syncIntervalMs.unwrap().optional(),
      shadow: breakerOptionsSchema.shape.shadow.unwrap().optional(),
    })
    .optional(),
});

/** A config file, validated. Sections and keys it does not set are absent (the components' defaults apply), except the clock's dead man's switch and calm grace, filled in to check one against the other. */
export type ConfigFile = z.output<typeof configFileSchema>;

/**
 * Reads and validates a config file (JSON: no comments, no trailing commas).
 * @throws ConfigFileError naming the file and the path in it in the file's own
 *   notation (`policy.tiers.high_stakes.ttlSeconds[2]`), one line, never the
 *   value of a Redis URL.
 */
export function loadConfigFile(file: string): ConfigFile {
  const text = readConfigText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(file, null, jsonErrorText(text, error as Error));
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigFileError(file, null, `must hold one JSON object, got ${describeJson(json)}`);
  const parsed = configFileSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigFileError(file, fieldOf(issue), issueText(issue));
  }
  const config = parsed.data;
  if (config.redis?.url !== undefined) checkFileRedisUrl(file, config.redis.url);
  if (config.policy !== undefined) {
    try {
      resolvePanicPolicy(config.policy); // rules across lists: a name under two importances
    } catch (error) {
      if (error instanceof InvalidConfigError) throw new ConfigFileError(file, error.field, error.message.slice(error.field.length + 2));
      throw error;
    }
  }
  return config;
}

/**
 * The config file a command reads: `--config`, else `VIX_TTL_CONFIG`, else none.
 * A variable set but empty is an error naming it, not "no file": the file may hold the Redis URL or the policy.
 */
export function configFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv, variable: string): ConfigFile | undefined {
  if (flag === undefined && env[variable] === '') throw emptyVariable(variable, 'a config file path');
  const file = flag ?? env[variable];
  return file === undefined ? undefined : loadConfigFile(file);
}

function readConfigText(file: string): string {
  let fd: number;
  try {
    if (!statSync(file).isFile()) throw new ConfigFileError(file, null, 'cannot read the config file: not a file'); // before open: opening a FIFO would block
    fd = openSync(file, 'r');
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw new ConfigFileError(file, null, `cannot read the config file: ${fsReason(error)}`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ConfigFileError(file, null, 'cannot read the config file: not a file');
    if (info.size > MAX_CONFIG_BYTES) throw new ConfigFileError(file, null, `the config file has ${info.size} bytes; at most ${MAX_CONFIG_BYTES} are read`);
    const buffer = Buffer.alloc(info.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw new ConfigFileError(file, null, `cannot read the config file: ${fsReason(error)}`);
  } finally {
    closeSync(fd);
  }
}

/** A URL in a file must not carry a credential: files are committed, copied and shared; REDIS_URL carries those. */
function checkFileRedisUrl(file: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigFileError(file, 'redis.url', `must be a URL like redis://127.0.0.1:6379, got ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigFileError(file, 'redis.url', `must use redis:// or rediss://, got ${parsed.protocol}`);
  parsed.hash = '';
  if (redactUrl(url) !== parsed.toString()) {
    throw new ConfigFileError(file, 'redis.url', 'must not carry a user name, password or token (a config file gets committed and shared): set REDIS_URL in the environment instead');
  }
}

/** A zod issue's path in the file's notation: `policy.tiers.high_stakes.ttlSeconds[2]`, the unknown key included. */
function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    const key = String(segment);
    if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${text}[${JSON.stringify(key)}]`;
    return text === '' ? key : `${text}.${key}`;
  }, '');
}

const ZOD_DEFAULT_MESSAGE = /^(Invalid input|Invalid option|Too small|Too big|Unrecognized key|Invalid)/;

/** What is wrong, in plain words, with the value that was found when it is safe to show (never a URL). */
function issueText(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const got = fieldOf(issue).endsWith('url') ? '' : `, got ${describeJson(input)}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const others = issue.keys.length > 1 ? `, and ${issue.keys.length - 1} more` : '';
      const known = keysAt(issue.path);
      return `unknown key${others}${known.length > 0 ? `; known here: ${known.join(', ')}` : ''}`;
    }
    case 'invalid_type':
      if (input === undefined) return `is required (${expectedText(issue.expected)})`;
      return `must be ${expectedText(issue.expected)}${got}`;
    case 'too_small':
    case 'too_big': {
      if (!ZOD_DEFAULT_MESSAGE.test(issue.message)) return `${issue.message}${got}`;
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const sign = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      if (issue.origin === 'array' || issue.origin === 'set') {
        const count = Array.isArray(input) ? input.length : '?';
        return `must have ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} items, got ${count}`;
      }
      if (issue.origin === 'string') return `must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} characters${got}`;
      return `must be ${sign} ${String(bound)}${got}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'custom':
      return issue.message; // the schema's own words, naming the values it compared
    default:
      return ZOD_DEFAULT_MESSAGE.test(issue.message) ? `is not valid (${issue.message})${got}` : `${issue.message}${got}`;
  }
}

/** The keys the file accepts at a path (an object of the schema), for an unknown key's message. */
function keysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configFileSchema;
  for (const segment of [...path, null]) {
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) schema = schema.unwrap() as z.ZodType;
    if (!(schema instanceof z.ZodObject)) return [];
    if (segment === null) return Object.keys(schema.shape);
    const next = (schema.shape as Record<string, z.ZodType>)[String(segment)];
    if (next === undefined) return [];
    schema = next;
  }
  return [];
}

function expectedText(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'object') return 'an object';
  if (expected === 'array') return 'an array';
  return `a ${expected}`;
}

/** A JSON value for a message: short, its JSON type named for objects and arrays. */
function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return describeValue(value);
}

/** "not valid JSON at line 3, column 5: …", from the position V8 reports. */
function jsonErrorText(text: string, error: Error): string {
  const message = error.message.split('\n')[0]!;
  const at = /at position (\d+)/.exec(message);
  const reason = message.replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  if (!at) return `not valid JSON: ${reason}`;
  const position = Number(at[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `not valid JSON at line ${line}, column ${column}: ${reason} (JSON only: no comments, no trailing commas)`;
}

function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'not a file';
  return (error as Error)?.message?.split('\n')[0] ?? String(error);
}
