import { z } from 'zod';
import type { ObservationKind, PanicClock, PanicObservation } from '../clock/panic-clock.js';
import { GLOBAL_SCOPE } from '../clock/scope.js';
import { messageOf, StoreError } from '../core/errors.js';
import { EventEmitter, subscribeHooks, type Disposable, type Event } from '../core/event.js';
import { loggerOption, SILENT_LOGGER, type Logger } from '../core/logger.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { storeFailureOf } from '../core/store-failure.js';
import { withTimeout } from '../core/with-timeout.js';
import { VixEngine } from './vix-engine.js';
import type { VixTransition } from './vix-hooks.js';

/** Why the publisher wrote a scope's state to the clock. */
export type PublishReason = 'transition' | 'refresh' | 'first_sight' | 'retry';

/**
 * How one write ended. `ok`: written. `error`: the store failed or timed out (retried).
 * `busy`: the clock refused to send it (`store_busy`: an earlier command of that scope
 * is still unanswered, or the clock's `maxInFlight` are) — retried, but not a store
 * failure. `limited`: a panic not written because `maxPanicScopes` scopes are already
 * held in panic; it is written once one of them ends.
 */
export type PublishOutcome = 'ok' | 'error' | 'busy' | 'limited';

/** What the publisher writes for a scope: it panics, or it does not. */
export type PublishKind = Exclude<ObservationKind, 'read'>;

/** One write of a scope's panic state to the shared clock (or a panic not written: `limited`). */
export interface PublishEvent {
  scope: string;
  kind: PublishKind;
  reason: PublishReason;
  outcome: PublishOutcome;
  durationMs: number;
  /** The error's message when `outcome` is `error` or `busy`. */
  error?: string | undefined;
  /**
   * A calm write that found and removed a stored start. Expected when a panic ends
   * (`transition`); on a `refresh` or `first_sight` it means the store held a panic
   * the engine never had: left by an earlier publisher, or resurrected by a Redis
   * failover that lost a calm deletion.
   */
  removedStart: boolean;
  /** What the clock answered an `ok` write: with `removedStart`, the start of the panic that ended and the clock's time. */
  observation?: PanicObservation | undefined;
}

/**
 * The `hooks` option of {@link VixPublisher}: a shorthand for subscribing to
 * `publisher.onPublish` at construction. A hook that throws is ignored, so
 * observability never stops publishing.
 */
export interface PublisherHooks {
  /** After every write to the clock, successful or not, and for each panic held back by `maxPanicScopes`. */
  onPublish?(event: PublishEvent): void;
}

/** Options of {@link VixPublisher}. */
export interface VixPublisherOptions {
  /** The engine whose statuses are published. */
  engine: VixEngine;
  /** The shared clock the workers read (a {@link RedisPanicClock} across processes). */
  clock: PanicClock;
  /** A pino (or compatible) logger. Default: silent. */
  logger?: Logger | undefined;
  /**
   * How often every warm scope's state is written again, ms. Default 60 s. A panic is
   * re-observed, so the dead man's switch never ends a live panic; a calm scope is
   * observed calm, which removes a start a Redis failover resurrected (an asynchronous
   * replica can lose the calm deletion) within one interval. The writes of one refresh
   * are spread over the first half of the interval.
   */
  refreshIntervalMs?: number | undefined;
  /** Wait before failed writes are tried again, ms; doubled after each failed round, up to `refreshIntervalMs`. Default 1 s. */
  retryDelayMs?: number | undefined;
  /** Longest wait for one write, ms; past it the write counts as failed and is retried. Default 2 s. */
  timeoutMs?: number | undefined;
  /**
   * Most writes in flight at once. Default 8: well below a {@link RedisPanicClock}'s
   * `maxInFlight` (64), so a refresh of thousands of scopes never trips the clock's own
   * bound (which answers `store_busy`) and leaves room for anything else on that clock.
   */
  maxConcurrentWrites?: number | undefined;
  /**
   * Most scopes (besides `global`) held in panic on the clock at once — the same bound as
   * the breaker's `maxPanicScopes`. Past it a scope's panic is not written (`limited`,
   * logged at most once a minute as `VIX_PUBLISH_SCOPE_LIMIT`) until a held one ends, so
   * a feed that drives thousands of junk scopes into panic cannot fill the store with 24 h
   * keys. Default 1,000.
   */
  maxPanicScopes?: number | undefined;
  /** Listeners subscribed at construction: a shorthand for `publisher.onPublish(fn)`. */
  hooks?: PublisherHooks | undefined;
}

const optionsSchema = z.strictObject({
  engine: z.custom<VixEngine>((v) => v instanceof VixEngine, { message: 'must be a VixEngine' }),
  clock: z.custom<PanicClock>((v) => typeof v === 'object' && v !== null && typeof (v as PanicClock).observe === 'function', { message: 'must be a PanicClock' }),
  logger: loggerOption(),
  refreshIntervalMs: z.number().min(10).max(3_600_000).default(60_000),
  retryDelayMs: z.number().min(1).max(600_000).default(1_000),
  timeoutMs: z.number().positive().max(60_000).default(2_000),
  maxConcurrentWrites: z.number().int().min(1).max(1024).default(8),
  maxPanicScopes: z.number().int().min(1).max(1_000_000).default(1000),
  hooks: hooksOption<PublisherHooks>(),
});

interface ScopeEntry {
  desired: PublishKind;
  published: PublishKind | null;
  /** Why the next write goes out. */
  reason: PublishReason;
  inflight: Promise<void> | null;
  failed: boolean;
  /** A panic held back by `maxPanicScopes`, waiting for a slot. */
  limited: boolean;
}

/** Failures since the last `VIX_STATUS_PUBLISH_FAILED` line. */
interface FailureTally {
  failed: number;
  busy: number;
  sinceMs: number;
  first: { scope: string; kind: PublishKind; reason: PublishReason };
  messages: Map<string, number>;
}

const LIMIT_LOG_EVERY_MS = 60_000;
/** A failure tally is logged when the writes drain, or once it is this old. */
const FAILURE_LOG_AT_MOST_MS = 10_000;

/**
 * Publisher mode: writes the engine's panic state to the shared clock, so workers
 * call `getTtl({ baseTtl, match, scope })` without a `vixStatus` and read it (a stored
 * start means panic). A scope entering panic is observed as `panic` (first writer
 * sets the start), leaving it as `calm`; every `refreshIntervalMs` each warm scope is
 * observed again, panic or calm (one call per scope per interval, on a timer, never
 * in `ingest`). Writes go through one queue: at most `maxConcurrentWrites` at once,
 * state changes first, a refresh's writes spread over half the interval. Failed writes
 * are retried and logged one line per round, never thrown into the ingest path. At most
 * `maxPanicScopes` scopes are held in panic on the clock. Run one publisher per scope.
 */
export class VixPublisher {
  readonly #engine: VixEngine;
  readonly #clock: PanicClock;
  readonly #logger: Logger;
  readonly #publishes = new EventEmitter<PublishEvent>();
  readonly #options: z.output<typeof optionsSchema>;
  readonly #scopes = new Map<string, ScopeEntry>();
  readonly #transitions: Disposable;
  readonly #timer: NodeJS.Timeout;
  /** Scopes with a state change to write, first come first written. */
  readonly #urgent = new Set<string>();
  /** Scopes with a refresh or retry to write, paced. */
  readonly #paced = new Set<string>();
  /** Scopes (global aside) held in panic on the clock: published panic, or a panic write pending. */
  readonly #held = new Set<string>();
  /** Panics held back by `maxPanicScopes`, in the order they came. */
  readonly #waiting = new Set<string>();
  readonly #idleWaiters: Array<() => void> = [];
  #active = 0;
  #spacingMs = 0;
  #nextPacedAt = 0;
  #pacedTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryDelayMs: number;
  #scheduledRetryMs = 0;
  #failures: FailureTally | null = null;
  #lastLimitLogMs = Number.NEGATIVE_INFINITY;
  #closed = false;

  /** Subscribes to every write to the clock, successful or not, and to each panic held back by `maxPanicScopes` (`limited`). */
  readonly onPublish: Event<PublishEvent> = this.#publishes.event;

  /** Subscribes to the engine and starts the refresh timer. @throws InvalidConfigError for bad options. */
  constructor(options: VixPublisherOptions) {
    this.#options = parseOptions(optionsSchema, options, 'VixPublisher');
    subscribeHooks(this.#options.hooks, { onPublish: this.onPublish }, 'VixPublisher.hooks');
    this.#engine = this.#options.engine;
    this.#clock = this.#options.clock;
    this.#logger = this.#options.logger ?? SILENT_LOGGER;
    this.#retryDelayMs = this.#options.retryDelayMs;
    this.#transitions = this.#engine.onTransition((event) => this.#onTransition(event));
    for (const name of this.#engine.scopeNames()) if (this.#engine.status(name) === 'panic') this.#want(name, 'panic', 'transition');
    this.#timer = setInterval(() => void this.refresh(), this.#options.refreshIntervalMs);
    this.#timer.unref();
  }

  /** What was last written to the clock for each scope (null: nothing yet). */
  published(): Map<string, PublishKind | null> {
    return new Map([...this.#scopes].map(([scope, entry]) => [scope, entry.published]));
  }

  /** Scopes held in panic on the clock (published panic, or a panic write pending; `global` not counted), and `maxPanicScopes`. */
  get panicScopes(): { held: number; max: number } {
    return { held: this.#held.size, max: this.#options.maxPanicScopes };
  }

  /**
   * Writes every warm scope's state again: a panic is re-observed (the dead man's
   * switch), a calm one observed calm (which ends a panic left by an earlier
   * publisher, or resurrected by a failover); failed writes are retried. A scope
   * still warming up is left alone. The writes are spread over half the refresh
   * interval when there are more than `maxConcurrentWrites` of them. The timer calls
   * it; call it yourself to force one. Resolves when the writes are done; never rejects.
   */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    const live = new Set<string>();
    for (const scope of this.#engine.scopeNames()) live.add(scope);
    for (const scope of live) {
      const entry = this.#scopes.get(scope);
      if (!entry) {
        if (this.#engine.snapshot(scope)?.warm) this.#want(scope, this.#engine.status(scope) === 'panic' ? 'panic' : 'calm', 'first_sight', false);
        continue;
      }
      entry.desired = this.#engine.status(scope) === 'panic' ? 'panic' : 'calm';
      this.#enqueue(scope, entry, entry.failed ? 'retry' : 'refresh', false);
    }
    for (const [scope, entry] of this.#scopes) if (entry.failed && !live.has(scope)) this.#enqueue(scope, entry, 'retry', false);
    this.#forgetGone();
    this.#spread();
    this.#pump();
    await this.idle();
  }

  /** Resolves when no write is under way or waiting (panics held back by `maxPanicScopes` are not waiting for a write). */
  async idle(): Promise<void> {
    if (this.#drained()) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops publishing: unsubscribes from the engine, stops the timers, drops the pending
   * refreshes, writes the state changes still waiting and waits for the writes under way.
   * Does not close the clock.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#transitions.dispose();
    clearInterval(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#pacedTimer) clearTimeout(this.#pacedTimer);
    this.#paced.clear();
    this.#pump();
    await this.idle();
    this.#logFailures();
  }

  #onTransition(event: VixTransition): void {
    if (event.to === 'panic') this.#want(event.scope, 'panic', 'transition');
    else if (event.from === 'panic') this.#want(event.scope, 'calm', 'transition');
  }

  #want(scope: string, kind: PublishKind, reason: PublishReason, urgent = true): void {
    if (this.#closed) return;
    let entry = this.#scopes.get(scope);
    if (!entry) {
      entry = { desired: kind, published: null, reason, inflight: null, failed: false, limited: false };
      this.#scopes.set(scope, entry);
    }
    entry.desired = kind;
    if (entry.published !== kind || entry.failed) this.#enqueue(scope, entry, reason, urgent);
    this.#pump();
  }

  /** Queues a write of the entry's desired state; a panic past `maxPanicScopes` waits for a slot instead. */
  #enqueue(scope: string, entry: ScopeEntry, reason: PublishReason, urgent: boolean): void {
    if (this.#closed) return;
    if (entry.desired === 'panic' && !this.#admit(scope, entry, reason)) return;
    if (entry.limited) {
      // A panic held back that ended before it was written.
      entry.limited = false;
      this.#waiting.delete(scope);
    }
    entry.reason = reason;
    if (entry.inflight) return; // its end writes the latest desired state if it changed
    if (urgent || this.#urgent.has(scope)) {
      this.#paced.delete(scope);
      this.#urgent.add(scope);
    } else this.#paced.add(scope);
  }

  /** Whether a panic of `scope` may be written: `global`, one already held, or a free slot. */
  #admit(scope: string, entry: ScopeEntry, reason: PublishReason): boolean {
    if (scope === GLOBAL_SCOPE || this.#held.has(scope)) return true;
    if (this.#held.size < this.#options.maxPanicScopes) {
      this.#held.add(scope);
      this.#waiting.delete(scope);
      entry.limited = false;
      return true;
    }
    if (!entry.limited) {
      entry.limited = true;
      this.#waiting.add(scope);
      this.#publishes.emit({ scope, kind: 'panic', reason, outcome: 'limited', durationMs: 0, removedStart: false });
      const now = performance.now();
      if (now - this.#lastLimitLogMs >= LIMIT_LOG_EVERY_MS) {
        this.#lastLimitLogMs = now;
        this.#logger.warn(
          { scope, held: this.#held.size, max: this.#options.maxPanicScopes, waiting: this.#waiting.size },
          'VIX_PUBLISH_SCOPE_LIMIT: maxPanicScopes scopes are held in panic; this panic is not written until one ends',
        );
      }
    }
    return false;
  }

  /** A scope no longer held in panic frees its slot for the first panic waiting. */
  #release(scope: string): void {
    if (!this.#held.delete(scope)) return;
    for (const next of this.#waiting) {
      const entry = this.#scopes.get(next);
      this.#waiting.delete(next);
      if (!entry || !entry.limited) continue;
      entry.limited = false;
      if (entry.desired === 'panic') {
        this.#enqueue(next, entry, entry.reason, true);
        return;
      }
    }
  }

  /** A refresh's writes, spread over half the interval when there are more than `maxConcurrentWrites`. */
  #spread(): void {
    const count = this.#paced.size;
    this.#spacingMs = count > this.#options.maxConcurrentWrites ? this.#options.refreshIntervalMs / 2 / count : 0;
    this.#nextPacedAt = performance.now();
  }

  /** Starts queued writes while fewer than `maxConcurrentWrites` are in flight: state changes first, then paced ones when due. */
  #pump(): void {
    while (this.#active < this.#options.maxConcurrentWrites) {
      let scope: string | undefined = first(this.#urgent);
      if (scope !== undefined) this.#urgent.delete(scope);
      else {
        scope = first(this.#paced);
        if (scope === undefined) break;
        const now = performance.now();
        if (this.#spacingMs > 0 && now < this.#nextPacedAt) {
          this.#wakeAt(this.#nextPacedAt - now);
          break;
        }
        this.#paced.delete(scope);
        this.#nextPacedAt = Math.max(now, this.#nextPacedAt) + this.#spacingMs;
      }
      const entry = this.#scopes.get(scope);
      if (!entry || entry.inflight || (entry.limited && entry.desired === 'panic')) continue;
      this.#write(scope, entry);
    }
    if (this.#drained()) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
      this.#logFailures();
    }
  }

  #wakeAt(delayMs: number): void {
    if (this.#pacedTimer || this.#closed) return;
    this.#pacedTimer = setTimeout(() => {
      this.#pacedTimer = null;
      this.#pump();
    }, delayMs);
    this.#pacedTimer.unref();
  }

  #drained(): boolean {
    return this.#active === 0 && this.#urgent.size === 0 && this.#paced.size === 0;
  }

  /** Writes the entry's desired state; when it ends, the latest desired state is written if it changed meanwhile. */
  #write(scope: string, entry: ScopeEntry): void {
    const kind = entry.desired;
    const reason = entry.reason;
    const startedAt = performance.now();
    this.#active += 1;
    // A clock that throws synchronously becomes a rejected write, not an exception in ingest().
    const write = new Promise<PanicObservation>((resolve) => resolve(this.#clock.observe(scope, kind))).then((observation) => {
      // A panic write that waited in Redis's queue past the staleness bound is only read
      // (the market may have calmed since): with no start there, nothing was published.
      // Retried like a failure, not left to the next refresh a minute later.
      if (kind === 'panic' && isObservation(observation) && !observation.active) {
        throw new StoreError(`the store did not write the panic of ${scope}: the command waited past its staleness bound and was only read`);
      }
      return observation;
    });
    entry.inflight = withTimeout(write, this.#options.timeoutMs)
      .then(
        (observation) => {
          const changed = entry.published !== kind;
          entry.published = kind;
          entry.failed = false;
          this.#retryDelayMs = this.#options.retryDelayMs;
          if (kind === 'calm' && entry.desired === 'calm') this.#release(scope);
          const removedStart = kind === 'calm' && isObservation(observation) && !observation.active && observation.startedAtMs !== null;
          this.#publishes.emit({ scope, kind, reason, outcome: 'ok', durationMs: performance.now() - startedAt, removedStart, observation: isObservation(observation) ? observation : undefined });
          if (changed) this.#logger.info({ scope, status: kind, reason }, 'VIX_STATUS_PUBLISHED');
          if (removedStart && (reason === 'refresh' || reason === 'first_sight')) {
            this.#logger.warn({ scope, reason, started_at_ms: (observation as PanicObservation).startedAtMs }, 'VIX_STALE_PANIC_REMOVED: the store held a panic this engine does not have');
          }
        },
        (error: unknown) => {
          entry.failed = true;
          const message = messageOf(error);
          const busy = storeFailureOf(error) === 'busy';
          this.#publishes.emit({ scope, kind, reason, outcome: busy ? 'busy' : 'error', durationMs: performance.now() - startedAt, error: message, removedStart: false });
          this.#tally(scope, kind, reason, message, busy);
          this.#scheduleRetry();
        },
      )
      .finally(() => {
        entry.inflight = null;
        this.#active -= 1;
        if (!this.#closed && !entry.failed && entry.published !== entry.desired) this.#enqueue(scope, entry, entry.reason, true);
        this.#pump();
      });
  }

  #tally(scope: string, kind: PublishKind, reason: PublishReason, message: string, busy: boolean): void {
    const now = performance.now();
    const tally = (this.#failures ??= { failed: 0, busy: 0, sinceMs: now, first: { scope, kind, reason }, messages: new Map() });
    tally.failed += 1;
    if (busy) tally.busy += 1;
    if (tally.messages.size < 8 || tally.messages.has(message)) tally.messages.set(message, (tally.messages.get(message) ?? 0) + 1);
    if (now - tally.sinceMs >= FAILURE_LOG_AT_MOST_MS) this.#logFailures();
  }

  /** One `VIX_STATUS_PUBLISH_FAILED` line for the failures since the last one: counts, the first scope, the commonest errors. */
  #logFailures(): void {
    const tally = this.#failures;
    if (!tally) return;
    this.#failures = null;
    const errors = Object.fromEntries([...tally.messages].sort((a, b) => b[1] - a[1]).slice(0, 3));
    this.#logger.warn(
      {
        failed: tally.failed,
        busy: tally.busy,
        scope: tally.first.scope,
        status: tally.first.kind,
        reason: tally.first.reason,
        err: Object.keys(errors)[0],
        errors,
        retry_in_ms: this.#closed ? null : this.#scheduledRetryMs,
      },
      'VIX_STATUS_PUBLISH_FAILED',
    );
  }

  /** Retries every failed write after the retry delay, which doubles after each failed round (up to the refresh interval). */
  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#scheduledRetryMs = this.#retryDelayMs;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, this.#options.refreshIntervalMs);
      for (const [scope, entry] of this.#scopes) {
        if (entry.failed) this.#enqueue(scope, entry, 'retry', entry.published !== entry.desired);
      }
      this.#spread();
      this.#pump();
    }, this.#scheduledRetryMs);
    this.#retryTimer.unref();
  }

  /** Drops entries of scopes the engine no longer holds once they are published calm. */
  #forgetGone(): void {
    const live = new Set(this.#engine.scopeNames());
    for (const [scope, entry] of this.#scopes) {
      if (!live.has(scope) && entry.desired === 'calm' && entry.published === 'calm' && !entry.inflight && !entry.failed) {
        this.#scopes.delete(scope);
        this.#waiting.delete(scope);
      }
    }
  }
}

function first(set: Set<string>): string | undefined {
  for (const value of set) return value;
  return undefined;
}

function isObservation(value: unknown): value is PanicObservation {
  return typeof value === 'object' && value !== null && typeof (value as PanicObservation).active === 'boolean';
}
