import { z } from 'zod';
import type { ObservationKind, PanicClock, PanicObservation } from '../clock/panic-clock.js';
import { messageOf } from '../core/errors.js';
import { EventEmitter, subscribeHooks, type Disposable, type Event } from '../core/event.js';
import { loggerOption, SILENT_LOGGER, type Logger } from '../core/logger.js';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import { withTimeout } from '../core/with-timeout.js';
import { VixEngine } from './vix-engine.js';
import type { VixTransition } from './vix-hooks.js';

/** Why the publisher wrote a scope's state to the clock. */
export type PublishReason = 'transition' | 'refresh' | 'first_sight' | 'retry';

/** What the publisher writes for a scope: it panics, or it does not. */
export type PublishKind = Exclude<ObservationKind, 'read'>;

/** One write of a scope's panic state to the shared clock. */
export interface PublishEvent {
  scope: string;
  kind: PublishKind;
  reason: PublishReason;
  outcome: 'ok' | 'error';
  durationMs: number;
  /** The error's message when `outcome` is `error`. */
  error?: string | undefined;
  /**
   * A calm write that found and removed a stored start. Expected when a panic ends
   * (`transition`); on a `refresh` or `first_sight` it means the store held a panic
   * the engine never had: left by an earlier publisher, or resurrected by a Redis
   * failover that lost a calm deletion.
   */
  removedStart: boolean;
}

/**
 * The `hooks` option of {@link VixPublisher}: a shorthand for subscribing to
 * `publisher.onPublish` at construction. A hook that throws is ignored, so
 * observability never stops publishing.
 */
export interface PublisherHooks {
  /** After every write to the clock, successful or not. */
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
   * replica can lose the calm deletion) within one interval.
   */
  refreshIntervalMs?: number | undefined;
  /** Wait before a failed write is tried again, ms. Default 1 s. */
  retryDelayMs?: number | undefined;
  /** Longest wait for one write, ms; past it the write counts as failed and is retried. Default 2 s. */
  timeoutMs?: number | undefined;
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
  hooks: hooksOption<PublisherHooks>(),
});

interface ScopeEntry {
  desired: PublishKind;
  published: PublishKind | null;
  reason: PublishReason;
  inflight: Promise<void> | null;
  failed: boolean;
}

/**
 * Publisher mode: writes the engine's panic state to the shared clock, so workers
 * call `getTtl({ baseTtl, match, scope })` without a `vixStatus` and read it (a stored
 * start means panic). A scope entering panic is observed as `panic` (first writer
 * sets the start), leaving it as `calm`; every `refreshIntervalMs` each warm scope is
 * observed again, panic or calm (one call per scope per interval, on a timer, never
 * in `ingest`). Failed writes are logged and retried, never thrown into the ingest
 * path. Run one publisher per scope.
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
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;

  /** Subscribes to every write to the clock, successful or not. */
  readonly onPublish: Event<PublishEvent> = this.#publishes.event;

  /** Subscribes to the engine and starts the refresh timer. @throws InvalidConfigError for bad options. */
  constructor(options: VixPublisherOptions) {
    this.#options = parseOptions(optionsSchema, options, 'VixPublisher');
    subscribeHooks(this.#options.hooks, { onPublish: this.onPublish }, 'VixPublisher.hooks');
    this.#engine = this.#options.engine;
    this.#clock = this.#options.clock;
    this.#logger = this.#options.logger ?? SILENT_LOGGER;
    this.#transitions = this.#engine.onTransition((event) => this.#onTransition(event));
    for (const name of this.#engine.scopeNames()) if (this.#engine.status(name) === 'panic') this.#want(name, 'panic', 'transition');
    this.#timer = setInterval(() => void this.refresh(), this.#options.refreshIntervalMs);
    this.#timer.unref();
  }

  /** What was last written to the clock for each scope (null: nothing yet). */
  published(): Map<string, PublishKind | null> {
    return new Map([...this.#scopes].map(([scope, entry]) => [scope, entry.published]));
  }

  /**
   * Writes every warm scope's state again: a panic is re-observed (the dead man's
   * switch), a calm one observed calm (which ends a panic left by an earlier
   * publisher, or resurrected by a failover); failed writes are retried. A scope
   * still warming up is left alone. The timer calls it; call it yourself to force
   * one. Resolves when the writes are done; never rejects.
   */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    const live = new Set<string>();
    for (const scope of this.#engine.scopeNames()) live.add(scope);
    for (const scope of live) {
      const entry = this.#scopes.get(scope);
      if (!entry) {
        if (this.#engine.snapshot(scope)?.warm) this.#want(scope, this.#engine.status(scope) === 'panic' ? 'panic' : 'calm', 'first_sight');
        continue;
      }
      entry.desired = this.#engine.status(scope) === 'panic' ? 'panic' : 'calm';
      this.#send(scope, entry, entry.failed ? 'retry' : 'refresh');
    }
    for (const [scope, entry] of this.#scopes) if (entry.failed && !live.has(scope)) this.#send(scope, entry, 'retry');
    this.#forgetGone();
    await this.idle();
  }

  /** Resolves when no write is under way. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.#scopes.values()].map((e) => e.inflight).filter((p): p is Promise<void> => p !== null);
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  /** Stops publishing: unsubscribes from the engine, stops the timers, waits for the writes under way. Does not close the clock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#transitions.dispose();
    clearInterval(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await this.idle();
  }

  #onTransition(event: VixTransition): void {
    if (event.to === 'panic') this.#want(event.scope, 'panic', 'transition');
    else if (event.from === 'panic') this.#want(event.scope, 'calm', 'transition');
  }

  #want(scope: string, kind: PublishKind, reason: PublishReason): void {
    if (this.#closed) return;
    let entry = this.#scopes.get(scope);
    if (!entry) {
      entry = { desired: kind, published: null, reason, inflight: null, failed: false };
      this.#scopes.set(scope, entry);
    }
    entry.desired = kind;
    entry.reason = reason;
    if (entry.published !== kind || entry.failed) this.#send(scope, entry, reason);
  }

  /** Writes the entry's desired state, one write per scope at a time; the latest desired state wins. */
  #send(scope: string, entry: ScopeEntry, reason: PublishReason): void {
    if (entry.inflight) return;
    const kind = entry.desired;
    const startedAt = performance.now();
    // A clock that throws synchronously becomes a rejected write, not an exception in ingest().
    const write = new Promise<PanicObservation>((resolve) => resolve(this.#clock.observe(scope, kind)));
    entry.inflight = withTimeout(write, this.#options.timeoutMs)
      .then(
        (observation) => {
          const changed = entry.published !== kind;
          entry.published = kind;
          entry.failed = false;
          const removedStart = kind === 'calm' && isObservation(observation) && !observation.active && observation.startedAtMs !== null;
          this.#publishes.emit({ scope, kind, reason, outcome: 'ok', durationMs: performance.now() - startedAt, removedStart });
          if (changed) this.#logger.info({ scope, status: kind, reason }, 'VIX_STATUS_PUBLISHED');
          if (removedStart && (reason === 'refresh' || reason === 'first_sight')) {
            this.#logger.warn({ scope, reason, started_at_ms: (observation as PanicObservation).startedAtMs }, 'VIX_STALE_PANIC_REMOVED: the store held a panic this engine does not have');
          }
        },
        (error: unknown) => {
          entry.failed = true;
          const message = messageOf(error);
          this.#publishes.emit({ scope, kind, reason, outcome: 'error', durationMs: performance.now() - startedAt, error: message, removedStart: false });
          this.#logger.warn({ scope, status: kind, reason, err: message, retry_in_ms: this.#options.retryDelayMs }, 'VIX_STATUS_PUBLISH_FAILED');
          this.#scheduleRetry();
        },
      )
      .finally(() => {
        entry.inflight = null;
        if (!this.#closed && !entry.failed && entry.published !== entry.desired) this.#send(scope, entry, entry.reason);
      });
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      for (const [scope, entry] of this.#scopes) if (entry.failed) this.#send(scope, entry, 'retry');
    }, this.#options.retryDelayMs);
    this.#retryTimer.unref();
  }

  /** Drops entries of scopes the engine no longer holds once they are published calm. */
  #forgetGone(): void {
    const live = new Set(this.#engine.scopeNames());
    for (const [scope, entry] of this.#scopes) {
      if (!live.has(scope) && entry.desired === 'calm' && entry.published === 'calm' && !entry.inflight) this.#scopes.delete(scope);
    }
  }
}

function isObservation(value: unknown): value is PanicObservation {
  return typeof value === 'object' && value !== null && typeof (value as PanicObservation).active === 'boolean';
}
