/** What {@link PanicScopeLimit.admit} decided for a panic observation. */
export type PanicAdmission = 'held' | 'reserved' | 'refused';

/**
 * The distinct scopes a process holds in panic, bounded. A panic observation of a
 * scope not held yet takes a slot (reserved before the clock call, so concurrent
 * new scopes cannot overshoot); past `max` it is refused, and the clock is never
 * asked, so no client can create more than `max` panic starts through one process.
 * A scope leaves when the clock says it is not in panic (calm, or nothing stored),
 * or when no panic observation came for `holdMs` (the dead man's switch has then
 * removed the start). Entries are kept in the order of their last panic
 * observation, so expired ones are dropped from the front in O(expired).
 */
export class PanicScopeLimit {
  /** Most scopes held at once. */
  readonly max: number;
  readonly #holdMs: number;
  /** Scope → local time of its last panic observation; oldest first. */
  readonly #held = new Map<string, number>();

  constructor(max: number, holdMs: number) {
    this.max = max;
    this.#holdMs = holdMs;
  }

  /** Scopes held now. */
  get size(): number {
    return this.#held.size;
  }

  /** Admits a panic observation of `scope` at `nowMs`: already held, newly reserved, or refused (the limit is reached). */
  admit(scope: string, nowMs: number): PanicAdmission {
    if (this.#held.has(scope)) {
      this.#held.delete(scope);
      this.#held.set(scope, nowMs);
      return 'held';
    }
    if (this.#held.size >= this.max) this.#expire(nowMs);
    if (this.#held.size >= this.max) return 'refused';
    this.#held.set(scope, nowMs);
    return 'reserved';
  }

  /**
   * The clock confirmed a panic this process observed in `scope`: it is held, even
   * past `max` (a late answer released it while a newer command was writing its start;
   * at most the commands in flight can do that). A start that exists is counted.
   */
  confirm(scope: string, nowMs: number): void {
    this.#held.delete(scope);
    this.#held.set(scope, nowMs);
  }

  /** The scope is not in panic any more (or its reservation was never used). */
  release(scope: string): void {
    this.#held.delete(scope);
  }

  clear(): void {
    this.#held.clear();
  }

  #expire(nowMs: number): void {
    for (const [scope, seenMs] of this.#held) {
      if (nowMs - seenMs < this.#holdMs) return;
      this.#held.delete(scope);
    }
  }
}
