import type { VixStatus } from '../../policy/vix-status.js';
import { VixTtlError } from '../../core/errors.js';
import type { Event } from '../../core/event.js';
import type { VixTransition } from '../../vix/vix-hooks.js';
import type { RejectReason, RejectRule } from '../../vix/tick.js';
import type { TickBatch } from './tick-batch.js';

/**
 * A scope's volatility index and status, from the service's VIX engine (or a
 * {@link VixProvider}, which may give only `index` and `status`).
 */
export interface VixReading {
  index: number;
  status: VixStatus;
  /** False while the engine warms the scope up (its status stays calm until then). */
  warm?: boolean;
  /** Tick time of the last status change (ISO-8601), null while always calm. */
  since?: string | null;
  /** A status change under way, and in how many ms of tick time it happens if the index holds. */
  pending?: { status: VixStatus; inMs: number } | null;
  /** Tick time of the scope's newest tick (ISO-8601). */
  lastTickAt?: string;
  /** Ticks the scope has taken. */
  ticks?: number;
}

/** Supplies the VIX of a scope, or null when none is known. */
export type VixProvider = (scope: string) => VixReading | null;

/** What `POST /v1/ticks` answers: the engine's batch result without its per-tick results. */
export interface TickBatchAnswer {
  accepted: number;
  rejected: number;
  /** Ticks not used in this batch, by reason (only reasons that occurred). */
  byReason: Partial<Record<RejectReason, number>>;
  /** The first few ticks not used, with their position in the batch. */
  rejections: Array<{ index: number; reason: RejectReason; rule: RejectRule }>;
}

/** One scope's VIX as the engine's sample gives it: every field of {@link VixReading}, and the scope. */
export interface VixScopeReading extends Required<VixReading> {
  scope: string;
}

/** A status change of the engine, numbered so that a client can tell the ones it has seen, with its tick time as text. */
export interface VixTransitionView extends VixTransition {
  /** Increases by one per transition in the engine's process. */
  seq: number;
  /** Tick time of the change, ISO-8601 (`ts` in ms). */
  at: string;
}

/** A sample of the engine: what `/v1/state` and the dashboard show of the VIX. */
export interface VixView {
  /** Wall-clock time of the sample (ISO-8601). */
  sampledAt: string;
  /** Newest tick time the engine has seen (ms), null before the first tick. */
  timeMs: number | null;
  /** The scopes shown: `global` first, then panic, elevated and calm ones, each by index, at most `maxScopes`. */
  scopes: VixScopeReading[];
  /** Scopes the engine holds (more than `scopes` lists when there are many). */
  totalScopes: number;
  ticks: { accepted: number; rejected: number; byReason: Record<RejectReason, number> };
  transitions: number;
  thresholds: { elevated: { enter: number; exit: number }; panic: { enter: number; exit: number } };
  /** The latest transitions, oldest first. */
  recent: VixTransitionView[];
  /** Whether the statuses are written to the panic clock (publisher mode). */
  publishing: boolean;
}

/**
 * Where the service sends ticks and reads the VIX from: the engine in this
 * process ({@link LocalVix}), or, in a cluster worker, the primary's engine over
 * IPC ({@link RemoteVix}). Exactly one engine runs per service.
 */
export interface VixSource {
  /** `engine`: in this process; `primary`: in the cluster primary. */
  readonly location: 'engine' | 'primary';
  /**
   * True when `ingest` parses and checks the text of a batch's slices (`TickBatch.bytes`
   * or `texts`) whole before ingesting any, refusing a bad one with a 400 `HttpError`:
   * `POST /v1/ticks` then only scans the body, and each tick is parsed once (the cluster
   * primary, seen from a worker). Absent or false: the route parses every slice first.
   */
  readonly checksSlices?: boolean | undefined;
  /**
   * Longest `ingest` may wait before it answers or throws, ms (the cluster primary's answer
   * to a forwarded batch); absent: it does not wait on anything outside this process. Why:
   * the server counts it among its own waits, so a connection whose batch is waiting is not
   * closed as stalled before its answer (see `stalledConnectionTimeoutMs`).
   */
  readonly longestWaitMs?: number | undefined;
  /**
   * Ingests a batch of ticks in order; bad ticks are counted, never thrown.
   * @throws VixUnavailableError when the engine cannot be reached (a cluster primary that does not answer).
   * @throws VixBusyError when the engine already has as many batches waiting as it takes.
   */
  ingest(ticks: readonly unknown[] | TickBatch): Promise<TickBatchAnswer>;
  /** The latest sample, or null when none is known yet. */
  view(): VixView | null;
  /** Subscribes to status changes. */
  readonly onTransition: Event<VixTransitionView>;
  /** Stops the source (the publisher, timers, IPC listeners); idempotent. */
  close(): Promise<void>;
}

/**
 * The VIX engine has as many tick batches waiting as it takes; the caller should
 * retry in a moment (the service answers 429 `busy` with `Retry-After`).
 */
export class VixBusyError extends VixTtlError {
  static override readonly code = 'VIX_TTL_VIX_BUSY';
  constructor(message: string) {
    super(VixBusyError.code, message);
  }
}

/** The VIX engine could not be reached (in a cluster: the primary did not answer in time). */
export class VixUnavailableError extends VixTtlError {
  static override readonly code = 'VIX_TTL_VIX_UNAVAILABLE';
  constructor(message: string) {
    super(VixUnavailableError.code, message);
  }
}

export type { TickBatch } from './tick-batch.js';
