import { withTimeout } from '../clock/with-timeout.js';
import { StoreBusyError, StoreError, VixTtlError } from '../errors.js';

/** How a guarded store call failed. */
export type StoreFailure = 'timeout' | 'error' | 'busy';

/**
 * Bounds every call to a cache store by `timeoutMs`, whatever the client's retry
 * and offline-queue settings. A call that outlives the timeout marks the store as
 * stuck: later calls fail fast ({@link StoreBusyError}) until it settles or
 * `abandonAfterMs` passes, so a paused Redis does not collect a queue of commands
 * while the cache fails open.
 */
export class StoreGuard {
  readonly #timeoutMs: number;
  readonly #abandonAfterMs: number;
  #stuck: { token: object; sinceMs: number } | null = null;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#abandonAfterMs = Math.max(1000, 20 * timeoutMs);
  }

  /** Runs `send` under the timeout; rejects with a VixTtlError (timeout, busy or store error). */
  async call<T>(send: () => Promise<T>): Promise<T> {
    const sentMs = performance.now();
    if (this.#stuck) {
      if (sentMs - this.#stuck.sinceMs < this.#abandonAfterMs) throw new StoreBusyError('the cache store');
      this.#stuck = null;
    }
    const token = {};
    const pending = Promise.resolve()
      .then(send)
      .finally(() => {
        if (this.#stuck?.token === token) this.#stuck = null;
      });
    try {
      return await withTimeout(pending, this.#timeoutMs, () => {
        this.#stuck ??= { token, sinceMs: sentMs };
      });
    } catch (error) {
      if (error instanceof VixTtlError) throw error;
      throw new StoreError(`cache store call failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  }
}

/** Names a guarded call's failure for events and results. */
export function storeFailureOf(error: unknown): StoreFailure {
  if (error instanceof StoreBusyError) return 'busy';
  if (error instanceof VixTtlError && error.code === 'VIX_TTL_STORE_TIMEOUT') return 'timeout';
  return 'error';
}
