/**
 * In-process single flight: concurrent calls for one key share one run of the
 * work. The first caller starts it; callers arriving while it runs join it
 * (`joined: true`). Once it settles the key is free again, so a later call starts
 * a new run: single flight covers concurrency, not freshness.
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  /** Runs `work` for `key`, or joins the run under way. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const running = this.#running.get(key);
    if (running) return { promise: running, joined: true };
    const promise = Promise.resolve()
      .then(work)
      .finally(() => this.#running.delete(key));
    this.#running.set(key, promise);
    return { promise, joined: false };
  }

  /** Keys with a run under way. */
  get size(): number {
    return this.#running.size;
  }
}
