import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { messageOf, StoreError, StoreTimeoutError } from '../core/errors.js';
import { EventEmitter, type Event } from '../core/event.js';
import { monotonicNow } from '../core/monotonic-now.js';
import { parseOptions } from '../core/parse-options.js';
import { refineGrace, sharedClockFields } from './clock-options.js';
import { validAge } from './memory-panic-clock.js';
import {
  CORRUPTION_REASONS,
  assertObservationKind,
  checkObservationRequest,
  checkObservationRequests,
  type CorruptionReason,
  type EvictionPolicy,
  type InspectOptions,
  type LateObservation,
  type ObservationKind,
  type ObservationRequest,
  type ObservationResult,
  type PanicClock,
  type PanicInspection,
  type PanicObservation,
  type StartPanicOptions,
} from './panic-clock.js';
import { assertRedisClient, RedisScript, type RedisClient } from '../core/redis-script.js';
import { EXPIRY_CHECK_EVERY, INSPECT_SCRIPT, OBSERVE_MANY_SCRIPT, OBSERVE_SCRIPT } from './redis-scripts.js';
import { redisKeySlot } from '../core/redis-key-slot.js';
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
  /** Keys whose bookkeeping (clock offset, the last start read) is kept. Default 10,000. */
  maxScopes?: number | undefined;
  /**
   * Most keys one script of {@link RedisPanicClock.observeMany} reads; a larger
   * batch is split into several scripts sent together (one round trip). Redis runs
   * a script alone, so this bounds how long one batch holds the server: about
   * 0.7 µs per key, 0.7 ms at the default 1,000. Max 10,000.
   */
  maxKeysPerScript?: number | undefined;
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
    maxKeysPerScript: z.number().int().min(1).max(10_000).default(1000),
    maxInFlight: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_IN_FLIGHT),
  })
  .superRefine(refineGrace);

/** The schema of {@link RedisPanicClockOptions}, whose fields the `redis` section of the service's config file reuses. */
export { optionsSchema as redisPanicClockOptionsSchema };

type ResolvedOptions = z.output<typeof optionsSchema>;

const OBSERVE = new RedisScript(OBSERVE_SCRIPT);
const OBSERVE_MANY = new RedisScript(OBSERVE_MANY_SCRIPT);
const READ_CODE = 'r';
/** The batch script's letter for an observation kind; undefined for anything else (a plain comparison: no lookup per key). */
function codeOf(kind: unknown): string | undefined {
  return kind === 'read' ? READ_CODE : kind === 'panic' ? 'p' : kind === 'calm' ? 'c' : undefined;
}
const UNKNOWN_TAG = 'u';
const NONE_TAG = 'n';
/** The tag of a known start whose expiry the batch script checks this round (`a` → `A`). */
const CHECK_TAG = 'A';
/** Fields per changed key in an OBSERVE_MANY reply. */
const CHANGE_FIELDS = 7;

/** What the clock last read of a scope's key (kept with the key, built once): `a<raw>` a valid start (and its ms), `n` none stored. */
interface Known {
  readonly key: string;
  readonly tag: string;
  readonly startMs: number | null;
  /**
   * Rounds that send this start before one tags it `A<raw>` (the script checks its
   * expiry: a start stripped of it by a foreign `PERSIST` or `SET` gets the dead man's
   * switch back). Counted per key, not per call, so every start is checked once every
   * {@link EXPIRY_CHECK_EVERY} rounds that send it, whatever else the clock is asked between.
   */
  untilCheck: number;
}

/** One script of a batch: the requests it carries (indices into the batch) and their keys. */
interface ScriptGroup {
  lane: string;
  indices: number[];
  keys: readonly string[];
}
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
  /**
   * What the last batch read of each scope's key, sent with the next one so
   * unchanged keys are left out of the reply. A hint (a key it lacks is answered
   * whole), so a plain Map dropping its oldest entry past `maxScopes` is enough.
   */
  readonly #known = new Map<string, Known>();
  /** The last {@link Known.untilCheck} given to a start learnt (see {@link #nextCheck}). */
  #checkPhase = 0;
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
    return this.#keyOf(normalizeScope(scope));
  }

  #keyOf(name: string): string {
    return name === GLOBAL_SCOPE ? this.options.keyPrefix : `${this.options.keyPrefix}:${name}`;
  }

  async observe(scope: string | undefined, kind: ObservationKind): Promise<PanicObservation> {
    assertObservationKind(kind);
    return this.#observe(normalizeScope(scope), kind, 0);
  }

  async startPanic(scope?: string, options: StartPanicOptions = {}): Promise<PanicObservation> {
    return this.#observe(normalizeScope(scope), 'start', validAge(options.ageMs));
  }

  /**
   * Every request in one round trip: one script per `maxKeysPerScript` keys (on a
   * Redis Cluster, per hash slot too), sent together under the clock's timeout
   * and counted as one command in flight. Each key follows the rule of
   * {@link observe}, in order, on Redis's `TIME`; keys whose state is what the
   * clock read last time are left out of the reply. A script that fails, times
   * out or is not sent (`maxInFlight`, its slot stuck) fails its own requests only.
   */
  async observeMany(requests: readonly ObservationRequest[]): Promise<ObservationResult[]> {
    // One pass: a scope the clock knows was checked when it came in; a new one is checked here.
    if (!Array.isArray(requests)) checkObservationRequests(requests);
    const count = requests.length;
    const scopes = new Array<string>(count);
    const kinds = new Array<ObservationKind>(count);
    const known = new Array<Known | null>(count);
    const keys = new Array<string>(count);
    // When each calm or panic was seen (monotonicNow), for the ones that say so: sent per key.
    let seenAt: Array<number | undefined> | null = null;
    // Every request a read (the sync loop's steady state): the kinds argument is one repeated letter.
    let reads = true;
    for (let i = 0; i < count; i += 1) {
      const request = requests[i];
      const kind = request?.kind;
      const scope = request?.scope;
      const seen = codeOf(kind) !== undefined && typeof scope === 'string' ? this.#known.get(scope) : undefined;
      if (seen === undefined) {
        scopes[i] = checkObservationRequest(request, `requests[${i}]`);
        known[i] = null;
        keys[i] = this.#keyOf(scopes[i]!);
      } else {
        scopes[i] = scope!;
        known[i] = seen;
        keys[i] = seen.key;
      }
      kinds[i] = kind!;
      if (kind === 'read') continue;
      reads = false;
      const at: unknown = request!.issuedAtMs;
      if (typeof at === 'number') (seenAt ??= new Array<number | undefined>(count))[i] = at;
    }
    if (count === 0) return [];
    const failAll = (error: unknown): ObservationResult[] => scopes.map(() => ({ ok: false, error: asError(error) }));
    if (this.#anyOffsetMs === null) {
      try {
        await this.inspect();
      } catch (error) {
        return failAll(error);
      }
    }
    const groups = this.#groupsOf(keys);
    const fixed = [
      '',
      String(this.options.deadManSwitchSeconds),
      String(Math.round(this.options.calmGraceSeconds * 1000)),
      String(this.options.maxClockSkewSeconds),
    ];
    const staleAfter = String(this.#guard.abandonAfterMs / 1000);
    const commands: Array<Promise<unknown> | null> = groups.map(() => null);
    const sentMs = monotonicNow();
    let replies;
    try {
      replies = await this.#guard.callGroups(
        groups.map((group, g) => ({
          lane: group.lane,
          send: () => {
            const offsetMs = this.#offsets.get(group.keys[0]!) ?? this.#anyOffsetMs;
            const nowMs = monotonicNow();
            const issuedAt = offsetMs === null ? '' : ((nowMs + offsetMs) / 1000).toFixed(6);
            const { indices } = group;
            const tags = new Array<string>(indices.length);
            for (let k = 0; k < indices.length; k += 1) {
              const was = known[indices[k]!];
              if (!was) tags[k] = UNKNOWN_TAG;
              else if (was.startMs === null || (was.untilCheck -= 1) > 0) tags[k] = was.tag;
              else {
                was.untilCheck = EXPIRY_CHECK_EVERY;
                tags[k] = CHECK_TAG + was.tag.slice(1);
              }
            }
            let codes = READ_CODE.repeat(indices.length);
            if (!reads) {
              const letters = new Array<string>(indices.length);
              for (let k = 0; k < indices.length; k += 1) letters[k] = codeOf(kinds[indices[k]!])!;
              codes = letters.join('');
            }
            // What the clock knows of every key in one argument, joined flat: the client encodes each argument on its own.
            const args = [...fixed, issuedAt, staleAfter, codes, tags.join(',')];
            // Each calm or panic stamped when it was seen, on Redis's clock as the batch's own
            // issuedAt: one that waited behind the batch in flight keeps the single path's rule.
            if (seenAt !== null && offsetMs !== null) for (const i of indices) args.push(issuedAtOf(seenAt[i], nowMs, offsetMs));
            return (commands[g] = OBSERVE_MANY.runKeys(this.#redis, group.keys, args));
          },
        })),
      );
    } catch (error) {
      return failAll(error);
    }
    const receivedMs = monotonicNow();
    const results = new Array<ObservationResult>(scopes.length);
    groups.forEach((group, g) => {
      const reply = replies[g]!;
      if (!reply.ok) {
        for (const i of group.indices) results[i] = { ok: false, error: reply.error };
        const command = commands[g];
        if (command && reply.error instanceof StoreTimeoutError) this.#listenLateMany(group, scopes, keys, kinds, known, command);
        return;
      }
      try {
        const observations = this.#readMany(reply.value, group, scopes, keys, known);
        this.#learnOffset(group.keys[0]!, observations[0]!.clockNowMs, sentMs, receivedMs);
        const { indices } = group;
        for (let k = 0; k < indices.length; k += 1) results[indices[k]!] = { ok: true, observation: observations[k]! };
      } catch (error) {
        for (const i of group.indices) results[i] = { ok: false, error: asError(error) };
      }
    });
    return results;
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
    const name = normalizeScope(scope);
    const key = this.#keyOf(name);
    this.#known.delete(name);
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
    this.#known.clear();
    this.#late.clear();
  }

  async #observe(scope: string, kind: ObservationKind | 'start', ageMs: number): Promise<PanicObservation> {
    const key = this.keyFor(scope);
    this.#known.delete(scope); // what a batch reads next is then answered whole
    // Without Redis's time, a command held in a queue cannot be recognised as stale
    // (a panic seen long ago would start a 24 h panic when Redis comes back); learn it first.
    if (kind !== 'start' && this.#anyOffsetMs === null) await this.inspect();
    const offsetMs = this.#offsets.get(key) ?? this.#anyOffsetMs;
    const issuedAt = offsetMs === null ? '' : ((monotonicNow() + offsetMs) / 1000).toFixed(6);
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

  /**
   * The scripts of a batch: on a Cluster one group per hash slot (a script may
   * touch one slot only; its lane is the slot, so a hung master stalls its own
   * slots), then at most `maxKeysPerScript` keys per script.
   */
  #groupsOf(keys: readonly string[]): ScriptGroup[] {
    const max = this.options.maxKeysPerScript;
    const bySlot = new Map<string, number[]>();
    if (this.#redis.isCluster === true) {
      keys.forEach((key, i) => {
        const lane = `slot:${redisKeySlot(key)}`;
        const indices = bySlot.get(lane);
        if (indices) indices.push(i);
        else bySlot.set(lane, [i]);
      });
    } else {
      // One lane: the scripts are runs of consecutive requests, no index list to build and look through.
      if (keys.length <= max) return [{ lane: 'batch', indices: range(0, keys.length), keys }];
      const groups: ScriptGroup[] = [];
      for (let from = 0; from < keys.length; from += max) {
        const to = Math.min(keys.length, from + max);
        groups.push({ lane: 'batch', indices: range(from, to), keys: keys.slice(from, to) });
      }
      return groups;
    }
    const groups: ScriptGroup[] = [];
    for (const [lane, indices] of bySlot) {
      // One script for the whole batch (a round within maxKeysPerScript): its keys are the batch's, not a copy.
      if (bySlot.size === 1 && indices.length <= max) return [{ lane, indices, keys }];
      for (let from = 0; from < indices.length; from += max) {
        const part = indices.slice(from, from + max);
        groups.push({ lane, indices: part, keys: part.map((i) => keys[i]!) });
      }
    }
    return groups;
  }

  /**
   * One OBSERVE_MANY reply as an observation per key of the group: the keys it
   * lists are read from it (and remembered), the others are as the clock knew them.
   * @throws StoreError for a reply of another shape.
   */
  #readMany(reply: unknown, group: ScriptGroup, scopes: readonly string[], keys: readonly string[], known: ReadonlyArray<Known | null>): PanicObservation[] {
    if (!Array.isArray(reply) || reply.length < 1 || (reply.length - 1) % CHANGE_FIELDS !== 0) {
      throw new StoreError(`unexpected reply from the panic clock batch script: ${JSON.stringify(reply)?.slice(0, 80)}`);
    }
    const values = expectStrings(reply, reply.length);
    const clockNowMs = secondsToMs(values[0]!);
    const observations = new Array<PanicObservation>(group.indices.length);
    for (let at = 1; at < values.length; at += CHANGE_FIELDS) {
      const position = Number(values[at]) - 1;
      if (!Number.isInteger(position) || position < 0 || position >= group.indices.length || observations[position] !== undefined) {
        throw new StoreError(`unexpected key index in the panic clock batch reply: ${JSON.stringify(values[at])}`);
      }
      const [stateText, startText, stored, reason, raw, lengthText] = values.slice(at + 1, at + CHANGE_FIELDS) as [string, string, string, string, string, string];
      const observation = parseObservation([stateText, startText, values[0]!, reason, raw, lengthText]);
      observations[position] = observation;
      const i = group.indices[position]!;
      const scope = scopes[i]!;
      if (observation.active && stored !== '' && observation.startedAtMs !== null && !stored.includes(',')) this.#remember(scope, { key: keys[i]!, tag: `a${stored}`, startMs: observation.startedAtMs, untilCheck: this.#nextCheck() });
      else if (stateText === 'none' || stateText === 'ended') this.#remember(scope, { key: keys[i]!, tag: NONE_TAG, startMs: null, untilCheck: 0 });
      else this.#known.delete(scope);
    }
    const { indices } = group;
    for (let position = 0; position < indices.length; position += 1) {
      if (observations[position] !== undefined) continue;
      const was = known[indices[position]!];
      if (!was) throw new StoreError('the panic clock batch reply left out a key the clock did not know');
      observations[position] = { active: was.startMs !== null, startedAtMs: was.startMs, clockNowMs, created: false, repaired: null };
    }
    return observations;
  }

  /**
   * Rounds until a start just learnt is checked again: 1 to {@link EXPIRY_CHECK_EVERY}
   * in turn, so the starts learnt in one round are checked over the next rounds, a
   * few per round, not all in one. The round that learnt it checked its expiry already.
   */
  #nextCheck(): number {
    this.#checkPhase = (this.#checkPhase % EXPIRY_CHECK_EVERY) + 1;
    return this.#checkPhase;
  }

  #remember(scope: string, known: Known): void {
    if (!this.#known.has(scope) && this.#known.size >= this.options.maxScopes) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(scope, known);
  }

  /** Reports the answers of a batch script that outlived its timeout, once they come (nothing when it fails). */
  #listenLateMany(group: ScriptGroup, scopes: readonly string[], keys: readonly string[], kinds: readonly ObservationKind[], known: ReadonlyArray<Known | null>, command: Promise<unknown>): void {
    if (this.#late.size === 0) return;
    command
      .then((reply) => {
        const observations = this.#readMany(reply, group, scopes, keys, known);
        group.indices.forEach((i, position) => this.#late.emit({ scope: scopes[i]!, kind: kinds[i]!, observation: observations[position]! }));
      })
      .catch(() => undefined);
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
    const sentMs = monotonicNow();
    const reply = await this.#guard.call(send, key);
    return { reply, sentMs, receivedMs: monotonicNow() };
  }

  /**
   * Remembers Redis's clock against ours (monotonic: a wall-clock step moves neither
   * side) from a quick round trip: a slow one says little about when Redis read
   * `TIME`, and one that ends before it began is no measure at all.
   */
  #learnOffset(key: string, clockNowMs: number, sentMs: number, receivedMs: number): void {
    if (receivedMs < sentMs || receivedMs - sentMs > this.options.timeoutMs) return;
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

/** The integers from `from` to `to` (excluded). */
function range(from: number, to: number): number[] {
  const out = new Array<number>(to - from);
  for (let i = from; i < to; i += 1) out[i - from] = i;
  return out;
}

/**
 * A request's `issuedAtMs` (monotonicNow) as Unix seconds on Redis's clock, for the
 * batch script; '' (the batch's own send time) for none, one not finite, or one not
 * before `nowMs` (a stamp from the future would let a calm delete a panic that began after it).
 */
function issuedAtOf(seenMs: number | undefined, nowMs: number, offsetMs: number): string {
  return seenMs !== undefined && Number.isFinite(seenMs) && seenMs < nowMs ? ((seenMs + offsetMs) / 1000).toFixed(6) : '';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new StoreError(`the panic clock failed: ${messageOf(error)}`);
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
