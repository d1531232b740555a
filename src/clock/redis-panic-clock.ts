import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { StoreError, StoreTimeoutError } from '../core/errors.js';
import { EventEmitter, type Event } from '../core/event.js';
import { parseOptions } from '../core/parse-options.js';
import { refineGrace, sharedClockFields } from './clock-options.js';
import { validAge } from './memory-panic-clock.js';
import {
  CORRUPTION_REASONS,
  assertObservationKind,
  type CorruptionReason,
  type EvictionPolicy,
  type InspectOptions,
  type LateObservation,
  type ObservationKind,
  type PanicClock,
  type PanicInspection,
  type PanicObservation,
  type StartPanicOptions,
} from './panic-clock.js';
import { assertRedisClient, RedisScript, type RedisClient } from '../core/redis-script.js';
import { INSPECT_SCRIPT, OBSERVE_SCRIPT } from './redis-scripts.js';
import { GLOBAL_SCOPE, normalizeScope } from './scope.js';
import { corruptValue, parseStartValue, rawExcerpt, rawToText } from './start-value.js';
import { DEFAULT_MAX_IN_FLIGHT, StoreGuard } from '../core/store-guard.js';

export type { RedisClient };

/** Options of {@link RedisPanicClock}. */
export interface RedisPanicClockOptions {
  /** Key of the global scope; named scopes append `:<scope>`. Default `brain:panic_start_ts` (the Python workers' key). */
  keyPrefix?: string | undefined;
  /** Seconds a start lives without a new panic observation. Default 86,400. */
  deadManSwitchSeconds?: number | undefined;
  /** Longest wait for Redis per call, whatever the client's retry and offline-queue settings. Default 50 ms. */
  timeoutMs?: number | undefined;
  /** Keep the start this long after calm, so a flickering panic continues. Default 0 (delete at once). */
  calmGraceSeconds?: number | undefined;
  /** A start further than this in Redis's future is corrupt. Default 300 s. */
  maxClockSkewSeconds?: number | undefined;
  /** Keys whose bookkeeping (clock offset) is kept. Default 10,000. */
  maxScopes?: number | undefined;
  /**
   * Most commands this clock has in flight at once (sent, not answered yet, timed
   * out or not). Past it a call fails at once (`StoreBusyError`, a `store_busy`
   * fail-safe decision) and its command is never sent, so a hung Redis collects at
   * most this many commands whatever the traffic. Default 64.
   */
  maxInFlight?: number | undefined;
}

const optionsSchema = z
  .strictObject({
    keyPrefix: z.string().regex(/^[A-Za-z0-9:_.{}-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 : _ . - { }').default('brain:panic_start_ts'),
    ...sharedClockFields,
    timeoutMs: z.number().positive().max(60_000).default(50),
    maxClockSkewSeconds: z.number().min(0).default(300),
    maxScopes: z.number().int().min(1).default(10_000),
    maxInFlight: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_IN_FLIGHT),
  })
  .superRefine(refineGrace);

/** The schema of {@link RedisPanicClockOptions}, whose fields the `redis` section of the service's config file reuses. */
export { optionsSchema as redisPanicClockOptionsSchema };

type ResolvedOptions = z.output<typeof optionsSchema>;

const OBSERVE = new RedisScript(OBSERVE_SCRIPT);
const INSPECT = new RedisScript(INSPECT_SCRIPT);
const OBSERVE_STATES = new Set(['created', 'active', 'none', 'ended', 'grace']);
const CORRUPTION_REASON_SET = new Set<string>(CORRUPTION_REASONS);

/**
 * The shared panic clock on Redis. Each observation is one atomic script that reads
 * Redis `TIME`, so every worker on every host measures the same duration; the key
 * and value are those the Python workers use.
 */
export class RedisPanicClock implements PanicClock {
  readonly kind = 'redis';
  /** The validated options, frozen. */
  readonly options: Readonly<ResolvedOptions>;
  readonly #redis: RedisClient;
  readonly #guard: StoreGuard;
  /** Redis time minus local time per key (its node's clock, in a Cluster), from the last quick round trip. */
  readonly #offsets: LRUCache<string, number>;
  /** The latest such offset for any key: stands in for a key not seen yet. */
  #anyOffsetMs: number | null = null;
  readonly #late = new EventEmitter<LateObservation>();

  /**
   * Subscribes to observations that failed with a timeout and were answered after
   * all (Redis was slow or paused): what the clock then holds for the scope. A
   * breaker uses it to learn that a panic queued behind a pause wrote nothing.
   */
  readonly onLateObservation: Event<LateObservation> = this.#late.event;

  /** @throws InvalidConfigError when `redis` is not an ioredis client or an option is invalid. */
  constructor(redis: RedisClient, options: RedisPanicClockOptions = {}) {
    assertRedisClient(redis);
    this.#redis = redis;
    this.options = parseOptions(optionsSchema, options, 'RedisPanicClock');
    this.#offsets = new LRUCache({ max: this.options.maxScopes });
    this.#guard = new StoreGuard(this.options.timeoutMs, { maxInFlight: this.options.maxInFlight, label: 'the panic clock' });
  }

  /** Commands sent to Redis and not answered yet (at most `maxInFlight`). */
  get inFlight(): number {
    return this.#guard.inFlight;
  }

  /** Seconds a start lives without a panic observation. */
  get deadManSwitchSeconds(): number {
    return this.options.deadManSwitchSeconds;
  }

  /** The Redis key of a scope. */
  keyFor(scope?: string): string {
    const name = normalizeScope(scope);
    return name === GLOBAL_SCOPE ? this.options.keyPrefix : `${this.options.keyPrefix}:${name}`;
  }

  async observe(scope: string | undefined, kind: ObservationKind): Promise<PanicObservation> {
    assertObservationKind(kind);
    return this.#observe(normalizeScope(scope), kind, 0);
  }

  async startPanic(scope?: string, options: StartPanicOptions = {}): Promise<PanicObservation> {
    return this.#observe(normalizeScope(scope), 'start', validAge(options.ageMs));
  }

  async inspect(scope?: string, options: InspectOptions = {}): Promise<PanicInspection> {
    const name = normalizeScope(scope);
    const key = this.keyFor(name);
    const args = options.writable === true ? ['writable'] : [];
    const { reply, sentMs, receivedMs } = await this.#guarded(key, () => INSPECT.run(this.#redis, key, args));
    const [nowText, type, raw, pttlText, lengthText] = expectStrings(reply, 5) as [string, string, string, string, string];
    const clockNowMs = secondsToMs(nowText);
    this.#learnOffset(key, clockNowMs, sentMs, receivedMs);
    const pttl = Number(pttlText);
    const base = { scope: name, location: key, clockNowMs, expiresInMs: pttl >= 0 ? pttl : null };
    if (type === 'none') {
      return { ...base, active: false, startedAtMs: null, durationMs: null, expiresInMs: null, inGrace: false, raw: null, corrupt: null };
    }
    if (type !== 'string') {
      return { ...base, active: false, startedAtMs: null, durationMs: null, inGrace: false, raw: type, corrupt: corruptValue('wrong_type', type) };
    }
    const parsed = parseStartValue(raw, clockNowMs, this.options.maxClockSkewSeconds, Number(lengthText));
    if (parsed.corrupt) {
      return { ...base, active: false, startedAtMs: null, durationMs: null, inGrace: false, raw, corrupt: parsed.corrupt };
    }
    const graceMs = this.options.calmGraceSeconds * 1000;
    const inGrace = graceMs > 0 && pttl >= 0 && pttl <= graceMs;
    return {
      ...base,
      active: !inGrace,
      startedAtMs: parsed.startMs,
      durationMs: Math.max(0, clockNowMs - parsed.startMs),
      inGrace,
      raw,
      corrupt: null,
    };
  }

  async reset(scope?: string): Promise<boolean> {
    const key = this.keyFor(scope);
    const { reply } = await this.#guarded(key, () => this.#redis.del(key));
    return reply === 1;
  }

  /**
   * Runs the INSPECT script on the global scope's key with its write check, by
   * `EVALSHA` (or `EVAL` on NOSCRIPT) as decisions do: a Redis that answers PING but
   * refuses scripts (renamed or ACL-denied `EVALSHA`/`EVAL`, `BUSY`) or writes (a
   * read-only replica: `READONLY`) is not ready. Changes nothing.
   */
  async ping(): Promise<void> {
    await this.inspect(undefined, { writable: true });
  }

  /**
   * Redis's `maxmemory-policy` (`CONFIG GET`, one command): anything but
   * `noeviction` can evict panic starts under memory pressure. A server that
   * refuses `CONFIG` (renamed or ACL-denied, as on many managed Redis) gives an
   * unknown policy, not an unsafe one. With a Cluster client, one node answers.
   * @throws StoreError, StoreTimeoutError or StoreBusyError when Redis does not answer.
   */
  async evictionPolicy(): Promise<EvictionPolicy> {
    let reply: unknown;
    try {
      ({ reply } = await this.#guarded('CONFIG', () => this.#redis.config('GET', 'maxmemory-policy')));
    } catch (error) {
      const cause = (error as { cause?: { name?: unknown; message?: unknown } }).cause;
      if (error instanceof StoreError && cause?.name === 'ReplyError') {
        return { policy: null, canEvictPanicStarts: null, detail: `CONFIG GET maxmemory-policy refused: ${rawExcerpt(String(cause.message))}` };
      }
      throw error;
    }
    const policy = configValue(reply, 'maxmemory-policy');
    if (policy === null || !/^[a-z-]{1,32}$/.test(policy)) {
      return { policy: null, canEvictPanicStarts: null, detail: `unexpected reply to CONFIG GET maxmemory-policy: ${rawExcerpt(JSON.stringify(reply) ?? 'undefined')}` };
    }
    return { policy, canEvictPanicStarts: policy !== 'noeviction', detail: null };
  }

  async close(): Promise<void> {
    this.#offsets.clear();
    this.#late.clear();
  }

  async #observe(scope: string, kind: ObservationKind | 'start', ageMs: number): Promise<PanicObservation> {
    const key = this.keyFor(scope);
    // Without Redis's time, a command held in a queue cannot be recognised as stale
    // (a panic seen long ago would start a 24 h panic when Redis comes back); learn it first.
    if (kind !== 'start' && this.#anyOffsetMs === null) await this.inspect();
    const offsetMs = this.#offsets.get(key) ?? this.#anyOffsetMs;
    const issuedAt = offsetMs === null ? '' : ((Date.now() + offsetMs) / 1000).toFixed(6);
    const args = [
      kind,
      String(this.options.deadManSwitchSeconds),
      String(Math.round(this.options.calmGraceSeconds * 1000)),
      String(this.options.maxClockSkewSeconds),
      issuedAt,
      String(this.#guard.abandonAfterMs / 1000),
      (ageMs / 1000).toFixed(6),
    ];
    let command: Promise<unknown> | null = null;
    let answered: { reply: unknown; sentMs: number; receivedMs: number };
    try {
      answered = await this.#guarded(key, () => (command = OBSERVE.run(this.#redis, key, args)));
    } catch (error) {
      if (error instanceof StoreTimeoutError && command && kind !== 'start') this.#listenLate(scope, kind, command);
      throw error;
    }
    const { reply, sentMs, receivedMs } = answered;
    const observation = parseObservation(reply);
    this.#learnOffset(key, observation.clockNowMs, sentMs, receivedMs);
    return observation;
  }

  /** Reports the answer of a command that outlived its timeout, once it comes (nothing when it fails). */
  #listenLate(scope: string, kind: ObservationKind, command: Promise<unknown>): void {
    if (this.#late.size === 0) return;
    command.then(
      (reply) => this.#late.emit({ scope, kind, observation: parseObservation(reply) }),
      () => undefined,
    ).catch(() => undefined);
  }

  /** Runs one command under the clock's {@link StoreGuard} (timeout, stuck key, `maxInFlight`) and times it, for the clock offset. */
  async #guarded(key: string, send: () => Promise<unknown>): Promise<{ reply: unknown; sentMs: number; receivedMs: number }> {
    const sentMs = Date.now();
    const reply = await this.#guard.call(send, key);
    return { reply, sentMs, receivedMs: Date.now() };
  }

  /** Remembers Redis's clock against ours from a quick round trip (a slow one says little about when Redis read `TIME`). */
  #learnOffset(key: string, clockNowMs: number, sentMs: number, receivedMs: number): void {
    if (receivedMs - sentMs > this.options.timeoutMs) return;
    const offsetMs = clockNowMs - (sentMs + receivedMs) / 2;
    this.#offsets.set(key, offsetMs);
    this.#anyOffsetMs = offsetMs;
  }
}

/** The OBSERVE script's reply as an observation. @throws StoreError for a reply of another shape. */
function parseObservation(reply: unknown): PanicObservation {
  const [stateText, startText, nowText, reason, raw, lengthText] = expectStrings(reply, 6) as [string, string, string, string, string, string];
  if (!OBSERVE_STATES.has(stateText) || (reason !== '' && !CORRUPTION_REASON_SET.has(reason))) {
    throw new StoreError(`unexpected reply from the panic clock script: ${JSON.stringify([stateText, reason])}`);
  }
  return {
    active: stateText === 'created' || stateText === 'active',
    startedAtMs: startText === '' ? null : secondsToMs(startText),
    clockNowMs: secondsToMs(nowText),
    created: stateText === 'created',
    repaired: reason === '' ? null : corruptValue(reason as CorruptionReason, raw, Number(lengthText)),
  };
}

function expectStrings(reply: unknown, length: number): string[] {
  if (!Array.isArray(reply) || reply.length !== length) {
    throw new StoreError(`unexpected reply from Redis: expected ${length} values, got ${JSON.stringify(reply)?.slice(0, 80)}`);
  }
  return reply.map((value: unknown) => {
    if (typeof value === 'string' || typeof value === 'number' || Buffer.isBuffer(value)) return rawToText(value);
    if (value === null) return '';
    throw new StoreError(`unexpected value in a Redis reply: ${typeof value}`);
  });
}

function secondsToMs(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds)) throw new StoreError(`unexpected time in a Redis reply: ${JSON.stringify(text)}`);
  return seconds * 1000;
}

/**
 * The value of one parameter in a `CONFIG GET` reply: a flat `[name, value]` array
 * (RESP2, and ioredis 6's default "legacy" reply mapping) or a `{ name: value }` map
 * (ioredis 6 with `replyMapping: 'resp3'`); null for any other shape.
 */
function configValue(reply: unknown, name: string): string | null {
  let value: unknown = null;
  if (Array.isArray(reply)) {
    if (reply.length === 2) value = reply[1];
  } else if (typeof reply === 'object' && reply !== null && !Buffer.isBuffer(reply) && Object.keys(reply).length === 1) {
    value = Object.hasOwn(reply, name) ? (reply as Record<string, unknown>)[name] : null;
  }
  return typeof value === 'string' || Buffer.isBuffer(value) ? rawToText(value) : null;
}
