import { InvalidConfigError, messageOf, StoreBusyError, StoreError, StoreTimeoutError, VixTtlError } from './errors.js';
import { withTimeout } from './with-timeout.js';

/** Default bound on the commands one guard has in flight. */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** One command of a {@link StoreGuard.callGroups} batch, and the lane (key, slot) it goes to. */
export interface GuardedGroup<T> {
  lane: string;
  send: () => Promise<T>;
}

/** What one command of a batch gave: its reply, or why it has none (a VixTtlError: busy, timeout or a wrapped store error). */
export type GroupResult<T> = { ok: true; value: T } | { ok: false; error: VixTtlError };

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
      throw this.#wrap(error, lane);
    }
  }

  /**
   * Sends the commands of one batch together, and they count as ONE command in
   * flight (`maxInFlight`) until the last of them is answered. A command whose
   * lane is stuck is not sent (its result is a {@link StoreBusyError}); the others
   * are waited for at most `timeoutMs` together (one timer), and each that has not
   * answered by then is a StoreTimeoutError and marks its lane stuck. Resolves with
   * one result per group, in order, within `timeoutMs`; rejects with
   * {@link StoreBusyError}, sending nothing, when `maxInFlight` commands are
   * unanswered. Used for the panic clock's batched observations: on a Redis
   * Cluster one group per hash slot, so a hung master stalls only its own slots.
   */
  callGroups<T>(groups: ReadonlyArray<GuardedGroup<T>>): Promise<Array<GroupResult<T>>> {
    const sentMs = performance.now();
    if (this.#inFlight >= this.maxInFlight) return Promise.reject(new StoreBusyError(this.#label, this.#inFlight));
    const results: Array<GroupResult<T> | undefined> = new Array(groups.length);
    const sending: number[] = [];
    for (let i = 0; i < groups.length; i += 1) {
      const lane = groups[i]!.lane;
      const stuck = this.#stuck.get(lane);
      if (stuck && sentMs - stuck.sinceMs < this.abandonAfterMs) {
        results[i] = { ok: false, error: new StoreBusyError(lane === '' ? this.#label : lane) };
        continue;
      }
      if (stuck) this.#stuck.delete(lane);
      sending.push(i);
    }
    if (sending.length === 0) return Promise.resolve(results as Array<GroupResult<T>>);
    this.#inFlight += 1;
    const token = {};
    const stuckLanes: string[] = [];
    let open = sending.length;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        if (timer === undefined) return;
        clearTimeout(timer);
        timer = undefined;
        resolve(results as Array<GroupResult<T>>);
      };
      timer = setTimeout(() => {
        for (const i of sending) {
          if (results[i] !== undefined) continue;
          results[i] = { ok: false, error: new StoreTimeoutError(this.timeoutMs) };
          const lane = groups[i]!.lane;
          if (!this.#stuck.has(lane)) {
            this.#stuck.set(lane, { token, sinceMs: sentMs });
            stuckLanes.push(lane);
          }
        }
        finish();
      }, this.timeoutMs);
      for (const i of sending) {
        const group = groups[i]!;
        Promise.resolve()
          .then(group.send)
          .then(
            (value) => {
              results[i] ??= { ok: true, value };
            },
            (error: unknown) => {
              results[i] ??= { ok: false, error: this.#wrap(error, group.lane) };
            },
          )
          .finally(() => {
            open -= 1;
            if (open > 0) return;
            this.#inFlight -= 1;
            for (const lane of stuckLanes) if (this.#stuck.get(lane)?.token === token) this.#stuck.delete(lane);
            finish();
          })
          .catch(() => undefined);
      }
    });
  }

  #wrap(error: unknown, lane: string): VixTtlError {
    if (error instanceof VixTtlError) return error;
    return new StoreError(`${lane === '' ? this.#label : lane}: Redis command failed: ${messageOf(error)}`, { cause: error });
  }
}
