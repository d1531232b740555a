import type { VixStatus } from '../policy/vix-status.js';
import type { RejectReason, RejectRule } from './tick.js';

/**
 * Why a scope's status changed: its index crossed a threshold long enough, its ticks
 * stopped (`idle`), or it was evicted to make room for a new scope (`evicted`, only
 * ever from elevated: a scope in panic is never evicted).
 */
export type TransitionCause = 'index' | 'idle' | 'evicted';

/** A scope's status changed (`calm | elevated | panic`). */
export interface VixTransition {
  scope: string;
  from: VixStatus;
  to: VixStatus;
  /** The scope's tick time (ms since the epoch) at which the change happened. */
  ts: number;
  /** The index at that moment. */
  index: number;
  cause: TransitionCause;
}

/** A scope's index after one accepted tick. */
export interface VixIndexEvent {
  scope: string;
  ts: number;
  index: number;
  status: VixStatus;
  warm: boolean;
}

/** An accepted tick moved its market's price (the previous tick of that market had another price). */
export interface VixPriceChangeEvent {
  market: string;
  /** The tick's scope, or null for a tick that names none. */
  scope: string | null;
  ts: number;
  price: number;
  previousPrice: number;
}

/** A tick that was not used. */
export interface VixRejectEvent {
  reason: RejectReason;
  rule: RejectRule;
  /** The tick as given (do not keep it: it may be large). */
  tick: unknown;
}

/**
 * The `hooks` option of {@link VixEngine}: a shorthand for subscribing to the
 * engine's events of the same names at construction (`engine.onTransition(fn)`
 * does the same afterwards). They run synchronously inside `ingest`; a hook that
 * throws is ignored, so observability never breaks ingestion.
 */
export interface VixHooks {
  /** When a scope's status changes. */
  onTransition?(event: VixTransition): void;
  /** After every accepted tick, once per scope it fed (so at least `global`): keep it cheap, or sample `snapshot()` instead. */
  onIndex?(event: VixIndexEvent): void;
  /** When a tick is rejected or ignored. */
  onReject?(event: VixRejectEvent): void;
  /**
   * When an accepted tick moves its market's price (not for the market's first tick, nor a
   * repeat of the same price): what change-aware cache invalidation listens to.
   */
  onPriceChange?(event: VixPriceChangeEvent): void;
}
