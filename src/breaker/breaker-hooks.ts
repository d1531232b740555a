import type { CorruptValue, ObservationKind, PanicObservation } from '../clock/panic-clock.js';
import type { Logger } from '../core/logger.js';
import type { StoreFailure } from '../core/store-failure.js';
import type { TtlDecision } from '../policy/ttl-decision.js';

/** How a call to the panic clock ended: `ok`, or how it failed. */
export type StoreOutcome = 'ok' | StoreFailure;

/** A decision the breaker took (`onDecision`). */
export interface DecisionEvent {
  scope: string;
  /** The decision taken: what applies, or in shadow mode what would have applied. */
  decision: TtlDecision;
  /**
   * In shadow mode only: what `getTtl` answered — the caller's base TTL, with
   * `decision` as its `shadow`. Absent when the breaker is not in shadow mode.
   */
  served?: TtlDecision | undefined;
  /**
   * How long `getTtl` waited for the clock before deciding (its own call, or one
   * it shared), ms; undefined for a decision that needed no round trip (the sync
   * window, no clock, a refusal). The decision ends when the event is emitted, so
   * it began `waitedMs` earlier: tracing draws it with these times.
   */
  waitedMs?: number | undefined;
}

/**
 * One scope's observation by the clock (`onStoreCall`), with how its round trip
 * ended; answers served from the local sync cache are not calls. Observations
 * sent together in one batch share `batch`, `durationMs` and, mostly, `outcome`:
 * count round trips by `batch`, not by event.
 */
export interface StoreCallEvent {
  scope: string;
  kind: ObservationKind;
  /** The round trip's duration (the batch's, for an observation sent in one). */
  durationMs: number;
  outcome: StoreOutcome;
  /** True for the sync loop's refresh of a scope (no decision was waiting for it), false for an observation a decision asked for. */
  refresh: boolean;
  /** The breaker's number of the batch the observation went in: one per round trip. */
  batch: number;
}

/** A corrupt start the clock found and repaired (`onRepair`). */
export interface RepairEvent {
  scope: string;
  corrupt: CorruptValue;
}

/**
 * What the clock answered to a real call, and the breaker's `now()` when it arrived
 * (`onObservation`). A service keeps it to show the scope's panic without asking
 * the store again.
 */
export interface ObservationEvent {
  scope: string;
  kind: ObservationKind;
  observation: PanicObservation;
  /** The breaker's `now()` when the answer arrived: monotonic by default, so only compare it with that source, never with `Date.now()`. */
  localMs: number;
  /** True for the sync loop's refresh of a scope, false for an observation a decision asked for. */
  refresh: boolean;
}

/**
 * The `hooks` option of {@link VixCircuitBreaker}: a shorthand for subscribing to
 * the breaker's events of the same names at construction (`breaker.onDecision(fn)`
 * does the same afterwards). Metrics plug in here; a hook that throws is ignored,
 * so observability never breaks a decision.
 */
export interface BreakerHooks {
  /** After every decision. */
  onDecision?(event: DecisionEvent): void;
  /** After every real call to the clock (not for answers served from the local sync cache). */
  onStoreCall?(event: StoreCallEvent): void;
  /** When the clock found a corrupt start and repaired it. */
  onRepair?(event: RepairEvent): void;
  /** After every real call to the clock that answered: what it said, and when. */
  onObservation?(event: ObservationEvent): void;
}

/** The log methods the breaker (and every other component) uses; a pino logger fits. */
export type BreakerLogger = Logger;
