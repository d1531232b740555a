import { InvalidConfigError, messageOf, StoreBusyError, StoreError, VixTtlError } from './errors.js';
import { withTimeout } from './with-timeout.js';

/** Default bound on the commands one guard has in flight. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** Options of {@link StoreGuard}. */
export interface StoreGuardOptions {
  /**
   * Most commands in flight at once (sent and not yet answered, timed out or not).
   * Past it a call fails at once with {@link StoreBusyError} and its command is
   * never sent. Default 64.
   */
  maxInFlight?: number;
  /** What the guard protects, for error messages. Default `the store`. */
  label?: string;
}

/**
 * Bounds the commands a client sends to a store (Redis), whatever the client's
 * retry and offline-queue settings: each call waits at most `timeoutMs`; a
 * command that outlives it marks its lane (a key) as stuck, and later calls on
 * that lane fail fast ({@link StoreBusyError}) until it settles or
 * `abandonAfterMs` passes; and at most `maxInFlight` commands are unanswered at
 * once over all lanes, so a hung Redis collects a bounded queue, not one command
 * per request (a new scope on every request would otherwise add one each).
 * Used by {@link RedisPanicClock} and by the adaptive cache's store calls.
 */
export class StoreGuard {
  /** Longest wait per call, in ms. */
  readonly timeoutMs: number;
  /** Most commands unanswered at once. */
  readonly maxInFlight: number;
  /** How long a stuck command keeps its lane busy before one more command may try (ms). */
  readonly abandonAfterMs: number;
  readonly #label: string;
  /** Lanes whose latest command outlived the timeout; never more entries than commands in flight. */
  readonly #stuck = new Map<string, { token: object; sinceMs: number }>();
  #inFlight = 0;

  constructor(timeoutMs: number, options: StoreGuardOptions = {}) {
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!(timeoutMs > 0)) throw new InvalidConfigError('StoreGuard.timeoutMs', `must be a number > 0, got ${timeoutMs}`);
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new InvalidConfigError('StoreGuard.maxInFlight', `must be an integer ≥ 1, got ${maxInFlight}`);
    this.timeoutMs = timeoutMs;
    this.maxInFlight = maxInFlight;
    this.abandonAfterMs = Math.max(1000, 20 * timeoutMs);
    this.#label = options.label ?? 'the store';
  }

  /** Commands sent and not answered yet (including those past their timeout). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Runs `send` under the timeout, on `lane` (a key; one lane by default).
   * Rejects with a VixTtlError: {@link StoreBusyError} (not sent: the lane is
   * stuck or `maxInFlight` commands are unanswered), a StoreTimeoutError, or a
   * {@link StoreError} wrapping the client's error.
   */
  async call<T>(send: () => Promise<T>, lane = ''): Promise<T> {
    const sentMs = performance.now();
    const stuck = this.#stuck.get(lane);
    if (stuck) {
      if (sentMs - stuck.sinceMs < this.abandonAfterMs) throw new StoreBusyError(lane === '' ? this.#label : lane);
      this.#stuck.delete(lane);
    }
    if (this.#inFlight >= this.maxInFlight) throw new StoreBusyError(this.#label, this.#inFlight);
    this.#inFlight += 1;
    const token = {};
    const pending = Promise.resolve()
      .then(send)
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#stuck.get(lane)?.token === token) this.#stuck.delete(lane);
      });
    try {
      return await withTimeout(pending, this.timeoutMs, () => {
        if (!this.#stuck.has(lane)) this.#stuck.set(lane, { token, sinceMs: sentMs });
      });
    } catch (error) {
      if (error instanceof VixTtlError) throw error;
      throw new StoreError(`${lane === '' ? this.#label : lane}: Redis command failed: ${messageOf(error)}`, { cause: error });
    }
  }
}
