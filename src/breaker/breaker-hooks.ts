import type { CorruptValue, ObservationKind, PanicObservation } from '../clock/panic-clock.js';
import type { TtlDecision } from '../policy/ttl-decision.js';

/** How a call to the panic clock ended. */
export type StoreOutcome = 'ok' | 'timeout' | 'error' | 'busy';

/**
 * Typed observability hooks of {@link VixCircuitBreaker}: metrics plug in here.
 * A hook that throws is ignored, so observability never breaks a decision.
 */
export interface BreakerHooks {
  /** After every decision. */
  onDecision?(event: { scope: string; decision: TtlDecision }): void;
  /** After every real call to the clock (not for answers served from the local sync cache). */
  onStoreCall?(event: { scope: string; kind: ObservationKind; durationMs: number; outcome: StoreOutcome }): void;
  /** When the clock found a corrupt start and repaired it. */
  onRepair?(event: { scope: string; corrupt: CorruptValue }): void;
  /**
   * After every real call to the clock that answered: what it said, and the
   * breaker's `now()` when it arrived. A service keeps it to show the scope's panic
   * without asking the store again.
   */
  onObservation?(event: { scope: string; kind: ObservationKind; observation: PanicObservation; localMs: number }): void;
}

/** The log methods the breaker uses; a pino logger fits. */
export interface BreakerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}
