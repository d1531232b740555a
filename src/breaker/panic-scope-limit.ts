/** What {@link PanicScopeLimit.admit} decided for a panic observation. */
export type PanicAdmission = 'held' | 'reserved' | 'refused';

/**
 * A scope's place among the held ones. The breaker keeps a reference in the
 * scope's state, so a decision for a held scope reads one field instead of
 * looking the scope up; `held` turns false when the place is given back.
 */
export interface PanicSlot {
  held: boolean;
  /** Local time of the last panic observation. */
  seenMs: number;
}

/** When full, expired scopes are looked for at most this often (ms), so a flood of new scopes costs no scan per request. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * The distinct scopes a process holds in panic, bounded. A panic observation of a
 * scope not held yet takes a slot (reserved before the clock call, so concurrent
 * new scopes cannot overshoot); past `max` it is refused, and the clock is never
 * asked, so no client can create more than `max` panic starts through one process.
 * A scope leaves when the clock says it is not in panic (calm, or nothing stored),
 * or when no panic observation came for `holdMs` (the dead man's switch has then
 * removed the start; looked for when full, at most once a second). A held scope
 * costs one map lookup per decision.
 */
export class PanicScopeLimit {
  /** Most scopes held at once. */
  readonly max: number;
  readonly #holdMs: number;
  /** Scope → its place, dated by its last panic observation. */
  readonly #held = new Map<string, PanicSlot>();
  #nextSweepMs = Number.NEGATIVE_INFINITY;

  constructor(max: number, holdMs: number) {
    this.max = max;
    this.#holdMs = holdMs;
  }

  /** Scopes held now. */
  get size(): number {
    return this.#held.size;
  }

  /** Whether `scope` is held. */
  holds(scope: string): boolean {
    return this.#held.has(scope);
  }

  /** The place of `scope`, while it is held. */
  slotOf(scope: string): PanicSlot | undefined {
    return this.#held.get(scope);
  }

  /**
   * Admits a panic observation of `scope` at `nowMs`: already held, newly reserved,
   * or refused (the limit is reached). A held scope is dated by {@link confirm},
   * when the clock answers (that is when the store's dead man's switch is refreshed).
   */
  admit(scope: string, nowMs: number): PanicAdmission {
    if (this.#held.has(scope)) return 'held';
    if (this.#held.size >= this.max && nowMs >= this.#nextSweepMs) {
      this.#nextSweepMs = nowMs + SWEEP_INTERVAL_MS;
      for (const [held, slot] of this.#held) {
        if (nowMs - slot.seenMs < this.#holdMs) continue;
        slot.held = false;
        this.#held.delete(held);
      }
    }
    if (this.#held.size >= this.max) return 'refused';
    this.#held.set(scope, { held: true, seenMs: nowMs });
    return 'reserved';
  }

  /**
   * The clock confirmed a panic this process observed in `scope` at `nowMs`: it is
   * held and dated, even past `max` (a late answer released it while a newer
   * command was writing its start; at most the commands in flight can do that). A
   * start that exists is counted.
   */
  confirm(scope: string, nowMs: number): PanicSlot {
    const slot = this.#held.get(scope);
    if (slot) {
      slot.seenMs = nowMs;
      return slot;
    }
    const fresh = { held: true, seenMs: nowMs };
    this.#held.set(scope, fresh);
    return fresh;
  }

  /** The scope is not in panic any more (or its reservation was never used). */
  release(scope: string): void {
    const slot = this.#held.get(scope);
    if (!slot) return;
    slot.held = false;
    this.#held.delete(scope);
  }

  clear(): void {
    for (const slot of this.#held.values()) slot.held = false;
    this.#held.clear();
  }
}
