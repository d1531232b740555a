import type { PanicInspection, PanicObservation } from '../../clock/panic-clock.js';

/** A scope's panic as this process last read it from the clock. */
export interface PanicReading {
  active: boolean;
  startedAtMs: number | null;
  /** The clock's time when it answered. */
  clockNowMs: number;
  /** The service's clock-time source when the answer arrived: reading + (now − localMs) extrapolates it. */
  localMs: number;
  /** Null when the answer did not say (a decision's observation). */
  inGrace: boolean | null;
  expiresInMs: number | null;
  corrupt: string | null;
  /** `decision`: the breaker's observation for a decision; `inspection`: a read-only look (state build, health check). */
  source: 'decision' | 'inspection';
}

/**
 * What this process last learned of one scope's panic: a reading, or why the
 * latest attempt failed. Metrics and the state are built from it, so a scrape
 * costs the store nothing per scope.
 */
export interface PanicKnowledge {
  /** Real time (ms since the epoch) it was learned, for its age. */
  atMs: number;
  /** Null when the latest attempt failed. */
  reading: PanicReading | null;
  /** Why the latest attempt failed (`store_timeout`, `store_busy`, `store_error`), or null. */
  error: string | null;
}

/** Knowledge from a breaker observation. */
export function knowledgeFromObservation(observation: PanicObservation, localMs: number, atMs: number): PanicKnowledge {
  const { active, startedAtMs, clockNowMs } = observation;
  return { atMs, error: null, reading: { active, startedAtMs, clockNowMs, localMs, inGrace: null, expiresInMs: null, corrupt: null, source: 'decision' } };
}

/** Knowledge from a read-only inspection. */
export function knowledgeFromInspection(inspection: PanicInspection, localMs: number, atMs: number): PanicKnowledge {
  const { active, startedAtMs, clockNowMs, inGrace, expiresInMs, corrupt } = inspection;
  return { atMs, error: null, reading: { active, startedAtMs, clockNowMs, localMs, inGrace, expiresInMs, corrupt: corrupt?.reason ?? null, source: 'inspection' } };
}

/** Knowledge of a failed attempt. */
export function knowledgeFromFailure(error: string, atMs: number): PanicKnowledge {
  return { atMs, reading: null, error };
}

/** The newer of two pieces of knowledge (null when both are). */
export function newerKnowledge(a: PanicKnowledge | null | undefined, b: PanicKnowledge | null | undefined): PanicKnowledge | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.atMs > a.atMs ? b : a;
}

/** A reading carried forward to `nowMs` on the clock-time source: the clock's time then and the panic's duration. */
export function extrapolate(reading: PanicReading, nowMs: number): { clockNowMs: number; durationMs: number | null } {
  const clockNowMs = reading.clockNowMs + Math.max(0, nowMs - reading.localMs);
  const durationMs = reading.active && reading.startedAtMs !== null ? Math.max(0, clockNowMs - reading.startedAtMs) : null;
  return { clockNowMs, durationMs };
}
