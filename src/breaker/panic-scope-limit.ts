/** What {@link PanicScopeLimit.admit} decided for a panic observation. */
export type PanicAdmission = 'held' | 'reserved' | 'refused';

/** Idle scopes are looked for at most this often (ms), so a flood of new scopes costs no scan per request. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * The distinct scopes a process holds in panic, bounded. A panic observation of a
 * scope not held yet takes a slot (reserved before the clock call, so concurrent
 * new scopes cannot overshoot); past `max` it is refused — the breaker then only
 * reads the clock for it, so no client can make this process write more than
 * `max` panic starts per `idleMs`. A scope leaves when the clock says it is not in
 * panic (calm, or nothing stored), or when no panic observation came for `idleMs`
 * (looked for when a slot is needed or the count is read, at most once a second):
 * slots are not held for a day by scopes nobody observes any more. A scope
 * observed again after that takes a slot again, or is only read when none is free.
 * A held scope costs one map lookup per decision.
 */
export class PanicScopeLimit {
  /** Most scopes held at once. */
  readonly max: number;
  /** A scope with no panic observation for this long (ms) gives its slot back. */
  readonly idleMs: number;
  /** Scope → local time of its last panic observation. */
  readonly #held = new Map<string, number>();
  #nextSweepMs = Number.NEGATIVE_INFINITY;

  constructor(max: number, idleMs: number) {
    this.max = max;
    this.idleMs = idleMs;
  }

  /** Scopes held now (idle ones included until the next sweep; see {@link sweep}). */
  get size(): number {
    return this.#held.size;
  }

  /** Whether `scope` is held. */
  holds(scope: string): boolean {
    return this.#held.has(scope);
  }

  /**
   * Admits a panic observation of `scope` at `nowMs`: already held, newly reserved,
   * or refused (the limit is reached, even after idle scopes were released). A held
   * scope is dated by {@link confirm}, when the clock answers (that is when the
   * store's dead man's switch is refreshed).
   */
  admit(scope: string, nowMs: number): PanicAdmission {
    if (this.#held.has(scope)) return 'held';
    if (this.#held.size >= this.max) this.sweep(nowMs);
    if (this.#held.size >= this.max) return 'refused';
    this.#held.set(scope, nowMs);
    return 'reserved';
  }

  /**
   * The clock confirmed a panic this process observed in `scope` at `nowMs`: it is
   * held and dated, even past `max` (a late answer released it while a newer
   * command was writing its start; at most the commands in flight can do that). A
   * start that exists is counted.
   */
  confirm(scope: string, nowMs: number): void {
    this.#held.delete(scope); // re-inserted last: the map stays in order of last observation
    this.#held.set(scope, nowMs);
  }

  /** The scope is not in panic any more (or its reservation was never used). */
  release(scope: string): void {
    this.#held.delete(scope);
  }

  /** Releases the scopes with no panic observation for `idleMs`; at most once a second. */
  sweep(nowMs: number): void {
    if (nowMs < this.#nextSweepMs) return;
    this.#nextSweepMs = nowMs + SWEEP_INTERVAL_MS;
    // Oldest observation first (confirm re-inserts): stop at the first scope still in use.
    for (const [scope, seenMs] of this.#held) {
      if (nowMs - seenMs < this.idleMs) break;
      this.#held.delete(scope);
    }
  }

  clear(): void {
    this.#held.clear();
  }
}
