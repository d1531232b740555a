/** What {@link PanicScopeLimit.admit} decided for a panic observation. */
export type PanicAdmission = 'held' | 'reserved' | 'refused';

/**
 * A scope's place among the held ones: the breaker passes the scope's own state,
 * so a decision for a held scope reads one field (`held`) of an object it holds
 * anyway; `held` turns false when the place is given back.
 */
export interface PanicSlot {
  held: boolean;
  /** Local time of the last panic observation. */
  seenMs: number;
}

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
 * A held scope costs one field read per decision.
 */
export class PanicScopeLimit {
  /** Most scopes held at once. */
  readonly max: number;
  /** A scope with no panic observation for this long (ms) gives its slot back. */
  readonly idleMs: number;
  /** Scope → its place, in order of last panic observation (confirm re-inserts). */
  readonly #held = new Map<string, PanicSlot>();
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
   * Admits a panic observation of `scope` at `nowMs` into `slot`: already held
   * (the place moves to `slot` if it was another object's), newly reserved, or
   * refused (the limit is reached, even after idle scopes were released, or
   * `mayReserve` — asked only when a place is free — says no). A held
   * scope is dated by {@link confirm}, when the clock answers (that is when the
   * store's dead man's switch is refreshed).
   */
  admit(scope: string, nowMs: number, slot: PanicSlot, mayReserve?: () => boolean): PanicAdmission {
    const existing = this.#held.get(scope);
    if (existing !== undefined) {
      if (existing !== slot) this.#move(scope, existing, slot);
      return 'held';
    }
    if (this.#held.size >= this.max) this.sweep(nowMs);
    if (this.#held.size >= this.max) return 'refused';
    if (mayReserve !== undefined && !mayReserve()) return 'refused';
    slot.held = true;
    slot.seenMs = nowMs;
    this.#held.set(scope, slot);
    return 'reserved';
  }

  /**
   * The clock confirmed a panic this process observed in `scope` at `nowMs`: it is
   * held in `slot` and dated, even past `max` (a late answer released it while a
   * newer command was writing its start; at most the commands in flight can do
   * that). A start that exists is counted.
   */
  confirm(scope: string, nowMs: number, slot: PanicSlot): void {
    const existing = this.#held.get(scope);
    if (existing !== undefined && existing !== slot) existing.held = false;
    this.#held.delete(scope); // re-inserted last: the map stays in order of last observation
    slot.held = true;
    slot.seenMs = nowMs;
    this.#held.set(scope, slot);
  }

  /** The scope is not in panic any more (or its reservation was never used). */
  release(scope: string): void {
    const slot = this.#held.get(scope);
    if (!slot) return;
    slot.held = false;
    this.#held.delete(scope);
  }

  /** Releases the scopes with no panic observation for `idleMs`; at most once a second. */
  sweep(nowMs: number): void {
    if (nowMs < this.#nextSweepMs) return;
    this.#nextSweepMs = nowMs + SWEEP_INTERVAL_MS;
    // Oldest observation first (confirm re-inserts): stop at the first scope still in use.
    for (const [scope, slot] of this.#held) {
      if (nowMs - slot.seenMs < this.idleMs) break;
      slot.held = false;
      this.#held.delete(scope);
    }
  }

  clear(): void {
    for (const slot of this.#held.values()) slot.held = false;
    this.#held.clear();
  }

  /** A scope's place goes to a new holder (its state was dropped and made again); its date and order stay. */
  #move(scope: string, from: PanicSlot, to: PanicSlot): void {
    from.held = false;
    to.held = true;
    to.seenMs = from.seenMs;
    this.#held.set(scope, to);
  }
}
