import { normalizeScope } from '../clock/scope.js';

/** What {@link LoadLimiter.acquire} gave: a slot (release it once), or none within the wait. */
export type LoadSlot = { release: () => void } | null;

interface Waiter {
  scope: string;
  grant: (slot: LoadSlot) => void;
  timer: NodeJS.Timeout;
}

/**
 * Bounds the loader calls in flight, per cache and optionally per scope, so a panic
 * across thousands of keys cannot become thousands of concurrent backend calls.
 * A caller past the bound waits (first come, first served, at most `maxWaiting`
 * callers, each at most its own time) for a slot to free.
 */
export class LoadLimiter {
  readonly #max: number;
  readonly #perScope: number;
  readonly #maxWaiting: number;
  readonly #byScope = new Map<string, number>();
  readonly #waiting: Waiter[] = [];
  #inFlight = 0;

  constructor(max: number, perScope: number, maxWaiting: number) {
    this.#max = max;
    this.#perScope = perScope;
    this.#maxWaiting = maxWaiting;
  }

  /** Loads in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a slot is free now for `scope` (nothing is taken). */
  hasRoom(scope: string | undefined): boolean {
    return this.#fits(scopeOf(scope));
  }

  /** A slot at once, or null when the cache (or the scope) is at its bound. */
  tryAcquire(scope: string | undefined): LoadSlot {
    const name = scopeOf(scope);
    if (!this.#fits(name)) return null;
    return this.#take(name);
  }

  /** A slot, waiting at most `waitMs` for one; null when none freed in time or the queue is full. */
  acquire(scope: string | undefined, waitMs: number): Promise<LoadSlot> {
    const name = scopeOf(scope);
    if (this.#fits(name) && this.#waiting.length === 0) return Promise.resolve(this.#take(name));
    if (waitMs <= 0 || this.#waiting.length >= this.#maxWaiting) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        scope: name,
        grant: resolve,
        timer: setTimeout(() => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          resolve(null);
        }, waitMs),
      };
      this.#waiting.push(waiter);
    });
  }

  #fits(scope: string): boolean {
    return this.#inFlight < this.#max && (this.#byScope.get(scope) ?? 0) < this.#perScope;
  }

  #take(scope: string): { release: () => void } {
    this.#inFlight += 1;
    this.#byScope.set(scope, (this.#byScope.get(scope) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        const left = this.#byScope.get(scope)! - 1;
        if (left === 0) this.#byScope.delete(scope);
        else this.#byScope.set(scope, left);
        this.#wake();
      },
    };
  }

  /** Gives freed slots to the first waiters that fit (a waiter whose scope is full lets the others pass). */
  #wake(): void {
    for (let i = 0; i < this.#waiting.length && this.#inFlight < this.#max; ) {
      const waiter = this.#waiting[i]!;
      if (!this.#fits(waiter.scope)) {
        i += 1;
        continue;
      }
      this.#waiting.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.grant(this.#take(waiter.scope));
    }
  }
}

function scopeOf(scope: string | undefined): string {
  try {
    return normalizeScope(scope);
  } catch {
    return 'global';
  }
}
