import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { RedisPanicClock, type RedisPanicClockOptions } from '../../clock/redis-panic-clock.js';
import type { VixEngineOptions } from '../../vix/vix-options.js';
import { LocalVix, type LocalVixOptions } from '../vix/local-vix.js';
import { MarketChangePublisher } from '../../cache/market-change-publisher.js';
import { connectStore, quitRedis } from './store-connection.js';
import { sendToWorker } from './ipc-send.js';
import { isVixMessage, VIX_TICKS_REQUEST, VIX_TICKS_RESPONSE, VIX_VIEW, type InvalidTicks } from './vix-messages.js';
import { HttpError } from '../http/http-error.js';
import { emptyTick, parseTickSlice } from '../http/tick-body.js';
import { sliceText } from '../vix/tick-batch.js';
import { VixBusyError } from '../vix/vix-source.js';
import type { LogVolume } from '../state/log-volume.js';
import { PanicEpisodes } from '../state/panic-episodes.js';

/** Batches of one worker the primary keeps half-received; past it the oldest is dropped (its sender timed out). */
const MAX_PARTIAL_BATCHES = 16;

/** A half-received batch already refused: its remaining parts are dropped. */
const FAILED = Symbol('failed');

/** How long the publisher waits for Redis per write; it is off the request path, so longer than a decision's 50 ms. */
export const PUBLISH_TIMEOUT_MS = 1000;

/** Options of {@link hostClusterVix}. */
export interface ClusterVixHostOptions {
  local: LocalVix;
  /** Period of the samples sent to every worker, ms. Default 1,000. */
  broadcastMs?: number;
  logger?: Logger;
}

/**
 * In the primary of a multi-worker service: ingests the batches workers forward
 * (`POST /v1/ticks` may land on any worker), answers each with its id, and sends
 * every worker a sample of the engine about once a second, soon after a
 * transition, and when a worker comes online. Returns a function that stops it.
 */
export function hostClusterVix(options: ClusterVixHostOptions): () => void {
  const { local, logger } = options;
  const broadcastMs = options.broadcastMs ?? 1000;
  let soon: NodeJS.Timeout | null = null;

  const sendView = (worker: Worker) => send(worker, { type: VIX_VIEW, view: local.view() }, logger);
  const broadcast = () => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) sendView(worker);
  };
  // Batches arriving in several messages, per worker and id; a few per worker at most.
  // A batch refused midway is remembered as FAILED until its last part, so that the parts
  // still on their way are dropped instead of starting a batch of their own.
  const parts = new Map<number, Map<number, unknown[] | typeof FAILED>>();
  const keep = (workerId: number, id: number, value: unknown[] | typeof FAILED) => {
    let mine = parts.get(workerId);
    if (!mine) parts.set(workerId, (mine = new Map()));
    mine.delete(id);
    mine.set(id, value);
    if (mine.size > MAX_PARTIAL_BATCHES) mine.delete(mine.keys().next().value!); // a batch whose sender gave up
  };
  const onMessage = (worker: Worker, message: unknown) => {
    if (!isVixMessage(message, VIX_TICKS_REQUEST)) return;
    const mine = parts.get(worker.id);
    const earlier = mine?.get(message.id);
    const more = message.more === true;
    if (earlier === FAILED) {
      if (!more) mine!.delete(message.id);
      return;
    }
    const refuse = (invalid: InvalidTicks) => {
      send(worker, { type: VIX_TICKS_RESPONSE, id: message.id, invalid }, logger);
      if (more) keep(worker.id, message.id, FAILED);
      else mine?.delete(message.id);
    };
    let part: unknown[] | null;
    try {
      // The worker only scanned a part that comes as text: it is parsed (once) and checked here.
      part = partOf(message, earlier?.length ?? 0);
    } catch (error) {
      if (error instanceof HttpError && (error.error === 'invalid_json' || error.error === 'invalid_body')) refuse({ error: error.error, field: error.field, message: error.message });
      else refuse({ error: 'invalid_body', field: 'ticks', message: (error as Error).message });
      return;
    }
    if (!part) {
      send(worker, { type: VIX_TICKS_RESPONSE, id: message.id, error: 'ticks must be an array' }, logger);
      if (more) keep(worker.id, message.id, FAILED);
      else mine?.delete(message.id);
      return;
    }
    const ticks = earlier ?? part;
    if (earlier) for (const tick of part) earlier.push(tick);
    if (more) {
      keep(worker.id, message.id, ticks);
      return;
    }
    mine?.delete(message.id);
    // A count that differs from the worker's is an empty element its scan counted (a trailing comma).
    if (typeof message.count === 'number' && message.count !== ticks.length) {
      const error = emptyTick(Math.min(ticks.length, message.count));
      refuse({ error: 'invalid_json', field: error.field, message: error.message });
      return;
    }
    // Chunked and queued (bounded), so a flood of batches does not starve the primary's own event loop.
    local.ingest(ticks).then(
      (answer) => send(worker, { type: VIX_TICKS_RESPONSE, id: message.id, answer }, logger),
      (error: unknown) => send(worker, { type: VIX_TICKS_RESPONSE, id: message.id, error: (error as Error).message, busy: error instanceof VixBusyError }, logger),
    );
  };
  const transitions = local.onTransition(() => {
    soon ??= setTimeout(() => {
      soon = null;
      broadcast();
    }, 100);
  });
  const forget = (worker: Worker) => parts.delete(worker.id);
  const timer = setInterval(broadcast, broadcastMs);
  cluster.on('message', onMessage);
  cluster.on('online', sendView);
  cluster.on('exit', forget);
  return () => {
    clearInterval(timer);
    if (soon) clearTimeout(soon);
    transitions.dispose();
    cluster.removeListener('message', onMessage);
    cluster.removeListener('online', sendView);
    cluster.removeListener('exit', forget);
  };
}

/** The VIX engine of a multi-worker service, as the primary runs it. */
export interface VixHost {
  local: LocalVix;
  /** The primary's metrics: the engine's, its publisher's panic ends, and its log lines when counted; aggregated with the workers' for `/metrics`. */
  registry: Registry;
  /** Stops answering workers, closes the publisher (waiting for its writes), then quits Redis. */
  close(): Promise<void>;
}

/** What the service's configuration sets of its VIX engine (`serve` flags and the config file). */
export interface VixConfig {
  /** Furthest a tick may be ahead of the wall clock, ms (`future_ts`). */
  maxTickSkewMs?: number | undefined;
  /** Oldest a tick may be, ms before the wall clock (`stale_ts`). */
  maxTickAgeMs?: number | undefined;
  /** The publisher's (and the breaker's) `maxPanicScopes`. */
  maxPanicScopes?: number | undefined;
  /** The engine's options (thresholds, delays, `warmupMs`…). */
  vix?: Omit<VixEngineOptions, 'hooks'> | undefined;
}

/** The {@link LocalVix} options a {@link VixConfig} sets, alike in one process and in a cluster primary. */
export function vixOptionsOf(config: VixConfig): Pick<LocalVixOptions, 'maxTickSkewMs' | 'maxTickAgeMs' | 'maxPanicScopes' | 'engine'> {
  return { maxTickSkewMs: config.maxTickSkewMs, maxTickAgeMs: config.maxTickAgeMs, maxPanicScopes: config.maxPanicScopes, engine: config.vix };
}

/**
 * Starts the one VIX engine of `serve --workers N`, in the primary: its own Redis
 * connection, a {@link LocalVix} publishing to the shared clock (workers decide in
 * publisher mode), metrics on a registry of its own, and the IPC host.
 */
export async function startVixHost(
  options: {
    redisUrl: string;
    logger: Logger;
    refreshIntervalMs?: number | undefined;
    /** The shared clock's options (key prefix…), as the workers' clocks have them; the publisher keeps its own timeout. */
    clock?: RedisPanicClockOptions | undefined;
    /** Publish each market whose price moved on the cache bus, for change-aware invalidation. */
    publishMarketChanges?: boolean | undefined;
    /** The counts of the lines `logger` writes (the primary's), exported with its metrics. */
    logVolume?: LogVolume | undefined;
  } & VixConfig,
): Promise<VixHost> {
  const { logger } = options;
  const redis = await connectStore(options.redisUrl, logger);
  const clock = new RedisPanicClock(redis, { ...options.clock, timeoutMs: PUBLISH_TIMEOUT_MS });
  const marketChanges = options.publishMarketChanges ? new MarketChangePublisher(redis) : null;
  const local = new LocalVix({ clock, logger, refreshIntervalMs: options.refreshIntervalMs, marketChanges, ...vixOptionsOf(options) });
  const registry = new Registry();
  local.instrument(registry);
  const publisherEnds = local.publisher ? PanicEpisodes.on(registry).follow(local.publisher) : null;
  options.logVolume?.register(registry);
  const stopHost = hostClusterVix({ local, logger });
  let closed = false;
  return {
    local,
    registry,
    close: async () => {
      if (closed) return;
      closed = true;
      stopHost();
      publisherEnds?.dispose();
      await local.close();
      await quitRedis(redis);
    },
  };
}

/**
 * The ticks of one part of a batch (an array, or the JSON text of one, or the bytes of
 * a slice with its delimiters, see `TickBatch.bytes`), or null when it is none of these; text is parsed and checked as the
 * worker's route would have (`first`: how many ticks came before, for the messages).
 * @throws HttpError 400 `invalid_json` / `invalid_body` for text that is not a valid slice of ticks.
 */
function partOf(message: { ticks?: unknown; ticksText?: unknown; ticksBytes?: unknown }, first: number): unknown[] | null {
  if (Array.isArray(message.ticks)) return message.ticks as unknown[];
  const { ticksBytes } = message;
  const text = ticksBytes instanceof Uint8Array ? sliceText(ticksBytes) : message.ticksText;
  if (typeof text !== 'string') return null;
  return parseTickSlice(text, first);
}

/** Sends to a worker that may be gone (see {@link sendToWorker}): a failure is logged at debug, never thrown or emitted. */
function send(worker: Worker, message: unknown, logger: Logger | undefined): void {
  sendToWorker(worker, message, (error) => logger?.debug({ err: error.message, pid: worker.process.pid }, 'VIX_TTL_IPC_SEND_FAILED'));
}
