/** Numbers kept per slot of {@link ScopeNumbers}, in this order. */
export const SYNCED_MS = 0;
export const CLOCK_NOW_MS = 1;
export const STARTED_AT_MS = 2;
/** When a decision first asked about the scope in the current sync round (the refresh walk reads it for every scope). */
export const ASKED_MS = 3;
const STRIDE = 4;
const FIRST_SLOTS = 1024;

/**
 * The numbers of the breaker's scope states that a decision from the synced answer reads
 * (when the answer arrived, the clock's time then, the panic's start) and the sync loop
 * reads of every scope each round (when it was asked), side by side in one
 * `Float64Array`, {@link STRIDE} per slot. An object field holding a fractional number
 * points to a separate heap box in V8, so reading three of them from 10,000 states out of
 * the CPU cache costs up to three more cache misses per decision; here they share one line.
 * A slot is taken per state and given back when the state leaves the breaker's table
 * (the state keeps its own copy then); the array grows by doubling up to `maxSlots`.
 */
export class ScopeNumbers {
  /** The slots' numbers; replaced when it grows, so read it through this object each time. */
  data: Float64Array;
  readonly #maxSlots: number;
  readonly #free: number[] = [];
  #used = 0;

  /** `maxSlots`: most slots in use at once (the breaker's `maxScopes`, plus one for a state made before the oldest is dropped). */
  constructor(maxSlots: number) {
    this.#maxSlots = maxSlots;
    this.data = new Float64Array(Math.min(maxSlots, FIRST_SLOTS) * STRIDE);
  }

  /** A free slot, its numbers set to `values`; -1 when all `maxSlots` are taken (the state then keeps its numbers itself). */
  take(syncedMs: number, clockNowMs: number, startedAtMs: number, askedMs = Number.NEGATIVE_INFINITY): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#used >= this.#maxSlots) return -1;
      slot = this.#used++;
      if ((slot + 1) * STRIDE > this.data.length) this.#grow();
    }
    const at = slot * STRIDE;
    this.data[at + SYNCED_MS] = syncedMs;
    this.data[at + CLOCK_NOW_MS] = clockNowMs;
    this.data[at + STARTED_AT_MS] = startedAtMs;
    this.data[at + ASKED_MS] = askedMs;
    return slot;
  }

  /** Gives a slot back: the next {@link take} may hand it to another state. */
  release(slot: number): void {
    if (slot >= 0) this.#free.push(slot);
  }

  /** Slots in use. */
  get size(): number {
    return this.#used - this.#free.length;
  }

  #grow(): void {
    const next = new Float64Array(Math.min(this.#maxSlots, (this.data.length / STRIDE) * 2) * STRIDE);
    next.set(this.data);
    this.data = next;
  }
}

/** The offset of `slot`'s numbers in {@link ScopeNumbers.data}. */
export function slotOffset(slot: number): number {
  return slot * STRIDE;
}
