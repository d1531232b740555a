/**
 * In-process single flight: concurrent calls for one key share one run of the
 * work. The first caller starts it; callers arriving while it runs join it
 * (`joined: true`). Once it settles the key is free again, so a later call starts
 * a new run: single flight covers concurrency, not freshness.
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, { promise: Promise<T>; startedAt: number }>();

  /** Runs `work` for `key`, or joins the run under way; `startedAt` is `performance.now()` when that run began. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean; startedAt: number } {
    const running = this.#running.get(key);
    if (running) return { promise: running.promise, joined: true, startedAt: running.startedAt };
    const startedAt = performance.now();
    const promise: Promise<T> = Promise.resolve()
      .then(work)
      .finally(() => {
        if (this.#running.get(key)?.promise === promise) this.#running.delete(key);
      });
    this.#running.set(key, { promise, startedAt });
    return { promise, joined: false, startedAt };
  }

  /**
   * Lets the next call for `key` start a new run even though one is under way (its
   * callers keep waiting on it): after an invalidation, a load begun before must not
   * serve the callers who come after.
   */
  forget(key: string): void {
    this.#running.delete(key);
  }

  /** Whether a run for `key` is under way. */
  has(key: string): boolean {
    return this.#running.has(key);
  }

  /** Keys with a run under way. */
  get size(): number {
    return this.#running.size;
  }
}
