import type { Registry } from 'prom-client';
import { z } from 'zod';
import { EventEmitter, type Disposable, type Event } from '../../core/event.js';
import { loggerOption, SILENT_LOGGER, type Logger } from '../../core/logger.js';
import { parseOptions } from '../../core/parse-options.js';
import type { PanicClock } from '../../clock/panic-clock.js';
import { GLOBAL_SCOPE } from '../../clock/scope.js';
import { VIX_STATUS_LEVEL } from '../../policy/vix-status.js';
import type { BatchResult, RejectReason } from '../../vix/tick.js';
import { VixEngine, type VixIngestOptions, type VixScopeSnapshot } from '../../vix/vix-engine.js';
import type { VixTransition } from '../../vix/vix-hooks.js';
import { DEFAULT_SCOPE_IDLE_MS, type VixEngineOptions } from '../../vix/vix-options.js';
import { VixPublisher } from '../../vix/vix-publisher.js';
import { MarketChangePublisher } from '../../cache/market-change-publisher.js';
import { VixMetrics } from './vix-metrics.js';
import { batchOf } from './tick-batch.js';
import { VixBusyError, type TickBatch, type TickBatchAnswer, type VixScopeReading, type VixSource, type VixTransitionView, type VixView } from './vix-source.js';

/** Options of {@link LocalVix}. */
export interface LocalVixOptions {
  /** Where the statuses are published (publisher mode); null runs the engine without publishing. */
  clock: PanicClock | null;
  /** An engine, or options to build one. Default: a `VixEngine` with its defaults. */
  engine?: VixEngine | VixEngineOptions | undefined;
  /** A pino (or compatible) logger for the publisher and transitions. Default: silent. */
  logger?: Logger | undefined;
  /** The publisher's `refreshIntervalMs`. Default 60 s. */
  refreshIntervalMs?: number | undefined;
  /** The time source ticks are expected on; idle scopes expire against it when the feed goes silent. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** How often the engine is moved to `now()` so idle scopes expire, ms; 0 never. Default 10 s. */
  idleCheckMs?: number | undefined;
  /** Most scopes a view (and the per-scope metrics) lists besides `global`. Default 200. */
  maxScopes?: number | undefined;
  /** How many of the latest transitions a view keeps. Default 20. */
  recentTransitions?: number | undefined;
  /** How many rejected ticks a batch answer lists. Default 20. */
  maxRejectionsShown?: number | undefined;
  /**
   * Furthest a tick may be ahead of `now()`, ms; a later one is rejected (`future_ts`),
   * so a feed's clock error cannot move the engine's time. Default 60 s.
   */
  maxTickSkewMs?: number | undefined;
  /**
   * Oldest a tick may be, ms before `now()`; an older one is rejected (`stale_ts`): a feed
   * sending Unix seconds (1.7e9 ms is January 1970), a stale backlog, a clock far behind.
   * The engine built here takes it as its `maxLagMs` too (at most half of its
   * `scopeIdleMs`), unless its options set one. Default 5 min.
   */
  maxTickAgeMs?: number | undefined;
  /** The publisher's `maxPanicScopes`: most scopes held in panic on the clock. Default 1,000. */
  maxPanicScopes?: number | undefined;
  /** Most batches `ingest` holds, the one being ingested included; past it, {@link VixBusyError}. Default 16. */
  maxQueuedBatches?: number | undefined;
  /** Ticks ingested between two yields to the event loop, so requests interleave with a big batch. Default 500. */
  chunkTicks?: number | undefined;
  /**
   * Publishes "market M's price moved" for caches with `invalidateOn.marketChanges`
   * (change-aware invalidation). Default none (opt-in). Closed with this LocalVix.
   */
  marketChanges?: MarketChangePublisher | null | undefined;
}

const optionsSchema = z.strictObject({
  clock: z.custom<PanicClock | null>((v) => v === null || (typeof v === 'object' && typeof (v as PanicClock).observe === 'function'), { message: 'is required: a PanicClock, or null not to publish' }),
  engine: z.custom<VixEngine | VixEngineOptions>((v) => v === undefined || (typeof v === 'object' && v !== null), { message: 'must be a VixEngine or its options' }).optional(),
  logger: loggerOption(),
  refreshIntervalMs: z.number().min(10).max(3_600_000).optional(),
  now: z.custom<() => number>((v) => v === undefined || typeof v === 'function', { message: 'must be a function returning ms' }).optional(),
  idleCheckMs: z.number().int().min(0).max(3_600_000).default(10_000),
  maxScopes: z.number().int().min(1).max(100_000).default(200),
  recentTransitions: z.number().int().min(1).max(1000).default(20),
  maxRejectionsShown: z.number().int().min(0).max(10_000).default(20),
  maxTickSkewMs: z.number().min(0).max(86_400_000).default(60_000),
  maxTickAgeMs: z.number().min(1000).max(86_400_000).default(300_000),
  maxPanicScopes: z.number().int().min(1).max(1_000_000).optional(),
  maxQueuedBatches: z.number().int().min(1).max(10_000).default(16),
  chunkTicks: z.number().int().min(1).max(1_000_000).default(500),
  marketChanges: z.custom<MarketChangePublisher | null>((v) => v === undefined || v === null || v instanceof MarketChangePublisher, { message: 'must be a MarketChangePublisher' }).optional(),
});

/**
 * The VIX engine of a service, in this process: it ingests tick batches, publishes
 * the statuses to the panic clock (publisher mode) with a {@link VixPublisher}, keeps
 * the latest transitions, and serves sampled views to `/v1/state`, the event stream
 * and the metrics, so nothing downstream runs per tick. In a multi-worker service it
 * lives in the primary.
 */
export class LocalVix implements VixSource {
  readonly location = 'engine';
  readonly engine: VixEngine;
  /** The publisher writing to the clock, or null. */
  readonly publisher: VixPublisher | null;
  /** Where price changes go (change-aware cache invalidation), or null. */
  readonly marketChanges: MarketChangePublisher | null;
  readonly #options: z.output<typeof optionsSchema>;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #recent: VixTransitionView[] = [];
  readonly #transitions = new EventEmitter<VixTransitionView>();
  readonly #engineTransitions: Disposable;
  readonly #priceChanges: Disposable | null;
  readonly #idleTimer: NodeJS.Timeout | null;
  #pendingNotify: VixTransitionView[] = [];
  /** Settles when the batches queued so far are done; batches are ingested one after another. */
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #metrics: VixMetrics | null = null;
  #seq = 0;
  #sample: VixView | null = null;
  #dirty = true;
  #closed = false;

  /** Subscribes to status changes; listeners run after the batch that caused them, never inside `ingest`. */
  readonly onTransition: Event<VixTransitionView> = this.#transitions.event;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(options: LocalVixOptions) {
    this.#options = parseOptions(optionsSchema, options, 'LocalVix');
    const o = this.#options;
    this.engine = o.engine instanceof VixEngine ? o.engine : new VixEngine(engineOptions(o.engine as VixEngineOptions | undefined, o.maxTickAgeMs));
    this.#now = (o.now as (() => number) | undefined) ?? Date.now;
    this.#engineTransitions = this.engine.onTransition((t) => this.#onTransition(t));
    const changes = o.marketChanges ?? null;
    this.marketChanges = changes;
    this.#priceChanges = changes ? this.engine.onPriceChange((e) => changes.changed(e.market)) : null;
    const logger = (this.#logger = o.logger ?? SILENT_LOGGER);
    this.publisher = o.clock ? new VixPublisher({ engine: this.engine, clock: o.clock, logger, refreshIntervalMs: o.refreshIntervalMs, maxPanicScopes: o.maxPanicScopes }) : null;
    this.publisher?.onPublish((e) => this.#metrics?.publish(e));
    // The engine's time starts at the wall clock: ticks are judged against it from the first one.
    this.#advance();
    this.#idleTimer = o.idleCheckMs > 0 ? setInterval(() => this.#advance(), o.idleCheckMs) : null;
    this.#idleTimer?.unref();
  }

  /**
   * Ingests a batch after the ones already queued, a slice (`chunkTicks` of an array) at
   * a time with a yield to the event loop between slices, so a flood of big batches cannot starve
   * the requests this process serves. Never throws for a bad tick (see the engine's
   * rules); a tick more than `maxTickSkewMs` ahead of `now()` is `future_ts`, one more
   * than `maxTickAgeMs` before it `stale_ts`.
   * @throws VixBusyError when `maxQueuedBatches` batches are already queued.
   */
  async ingest(ticks: readonly unknown[] | TickBatch): Promise<TickBatchAnswer> {
    const batch = Array.isArray(ticks) ? batchOf(ticks as readonly unknown[], this.#options.chunkTicks) : (ticks as TickBatch);
    if (typeof batch?.slices !== 'function') return this.ingestNow(ticks as readonly unknown[]); // the engine's InvalidInputError
    if (this.#queued >= this.#options.maxQueuedBatches) {
      throw new VixBusyError(`the VIX engine already has ${this.#queued} tick batches queued (at most ${this.#options.maxQueuedBatches}); retry in a moment`);
    }
    this.#queued += 1;
    const run = this.#tail.then(() => this.#ingestInChunks(batch));
    this.#tail = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.#queued -= 1;
    }
  }

  /** {@link ingest} at once, synchronously, without queueing (the demo feed's small batches). */
  ingestNow(ticks: readonly unknown[]): TickBatchAnswer {
    const result = this.engine.ingestBatch(ticks, this.#bounds());
    if (ticks.length > 0) this.#dirty = true;
    return answerOf(result, this.#options.maxRejectionsShown);
  }

  async #ingestInChunks(batch: TickBatch): Promise<TickBatchAnswer> {
    const { maxRejectionsShown } = this.#options;
    const answer: TickBatchAnswer = { accepted: 0, rejected: 0, byReason: {}, rejections: [] };
    let index = 0;
    for (const slice of batch.slices()) {
      if (index > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const options = this.#bounds();
      for (const tick of slice) {
        const result = this.engine.ingest(tick, options);
        index += 1;
        if (result.accepted) {
          answer.accepted += 1;
          continue;
        }
        answer.rejected += 1;
        answer.byReason[result.reason] = (answer.byReason[result.reason] ?? 0) + 1;
        if (answer.rejections.length < maxRejectionsShown) answer.rejections.push({ index: index - 1, reason: result.reason, rule: result.rule });
      }
      this.#dirty = true;
    }
    return answer;
  }

  /** The tick times taken now: the time source plus the skew, minus the age (no bound when it returns garbage). */
  #bounds(): VixIngestOptions {
    const now = this.#now();
    if (!Number.isFinite(now)) return {};
    return { notAfterMs: now + this.#options.maxTickSkewMs, notBeforeMs: now - this.#options.maxTickAgeMs };
  }

  /** The engine's state now; reused until a tick, a transition or an idle sweep changes it (a scrape reads it several times). */
  view(): VixView {
    if (this.#sample && !this.#dirty) return this.#sample;
    this.#dirty = false;
    this.#sample = this.#build(Date.now());
    return this.#sample;
  }

  /**
   * Registers the VIX metrics (`vix_ttl_vix_*`) on `registry`: the service's own, or
   * the cluster primary's. Once per LocalVix.
   */
  instrument(registry: Registry): VixMetrics {
    if (this.#metrics) return this.#metrics;
    this.#metrics = new VixMetrics(registry, () => this.view(), { maxScopeLabels: this.#options.maxScopes });
    return this.#metrics;
  }

  /** Stops the idle timer and the publisher (waiting for its writes); does not close the clock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    this.#engineTransitions.dispose();
    this.#priceChanges?.dispose();
    this.#transitions.clear();
    await this.publisher?.close();
    await this.marketChanges?.close();
  }

  #advance(): void {
    try {
      this.engine.advanceTo(this.#now());
      this.#dirty = true;
    } catch {
      // A time source that returns garbage must not stop the service.
    }
  }

  #onTransition(t: VixTransition): void {
    this.#seq += 1;
    const view: VixTransitionView = { seq: this.#seq, scope: t.scope, from: t.from, to: t.to, ts: t.ts, at: new Date(t.ts).toISOString(), index: round(t.index), cause: t.cause };
    this.#recent.push(view);
    if (this.#recent.length > this.#options.recentTransitions) this.#recent.shift();
    this.#dirty = true;
    this.#metrics?.transition(view);
    this.#logger.info({ scope: t.scope, from: t.from, to: t.to, index: view.index, cause: t.cause, tick_time: view.at }, 'VIX_STATUS_CHANGE');
    if (this.#transitions.size === 0) return;
    // Listeners (event streams, IPC) run after the batch, never inside ingest.
    if (this.#pendingNotify.length === 0) queueMicrotask(() => this.#notify());
    this.#pendingNotify.push(view);
  }

  #notify(): void {
    const pending = this.#pendingNotify;
    this.#pendingNotify = [];
    for (const transition of pending) this.#transitions.emit(transition);
  }

  #build(nowMs: number): VixView {
    const { engine } = this;
    const stats = engine.stats();
    const snapshots = engine.snapshots();
    const shown = pickScopes(snapshots, this.#options.maxScopes);
    const { elevated, panic } = engine.options;
    return {
      sampledAt: new Date(nowMs).toISOString(),
      timeMs: stats.timeMs,
      scopes: shown.map(readingOf),
      totalScopes: snapshots.length,
      ticks: { accepted: stats.accepted, rejected: stats.rejected, byReason: stats.byReason },
      transitions: stats.transitions,
      thresholds: { elevated: { enter: elevated.enter, exit: elevated.exit }, panic: { enter: panic.enter, exit: panic.exit } },
      recent: [...this.#recent],
      publishing: this.publisher !== null,
    };
  }
}

/** `global` first, then the most alarming scopes: panic, elevated, calm, each by index; at most `max` besides global. */
function pickScopes(snapshots: VixScopeSnapshot[], max: number): VixScopeSnapshot[] {
  const global = snapshots.filter((s) => s.scope === GLOBAL_SCOPE);
  const named = snapshots.filter((s) => s.scope !== GLOBAL_SCOPE);
  named.sort((a, b) => VIX_STATUS_LEVEL[b.status] - VIX_STATUS_LEVEL[a.status] || b.index - a.index || (a.scope < b.scope ? -1 : 1));
  return [...global, ...named.slice(0, max)];
}

function readingOf(s: VixScopeSnapshot): VixScopeReading {
  return {
    scope: s.scope,
    index: round(s.index),
    status: s.status,
    warm: s.warm,
    since: s.statusSince === null ? null : new Date(s.statusSince).toISOString(),
    pending: s.pending ? { status: s.pending.status, inMs: Math.max(0, s.pending.dueAt - s.lastTs) } : null,
    lastTickAt: new Date(s.lastTs).toISOString(),
    ticks: s.ticks,
  };
}

function answerOf(result: BatchResult, maxShown: number): TickBatchAnswer {
  const byReason: Partial<Record<RejectReason, number>> = {};
  for (const r of result.rejections) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  return { accepted: result.accepted, rejected: result.rejected, byReason, rejections: result.rejections.slice(0, maxShown) };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** The engine's options, its `maxLagMs` following the service's `maxTickAgeMs` (up to half of `scopeIdleMs`) unless set. */
function engineOptions(options: VixEngineOptions | undefined, maxTickAgeMs: number): VixEngineOptions {
  if (options?.maxLagMs !== undefined) return options;
  const scopeIdleMs = typeof options?.scopeIdleMs === 'number' && options.scopeIdleMs > 0 ? options.scopeIdleMs : DEFAULT_SCOPE_IDLE_MS;
  return { ...options, maxLagMs: Math.min(maxTickAgeMs, scopeIdleMs / 2) };
}
