import type { ObservationKind, ObservationResult, PanicClock } from '../clock/panic-clock.js';
import { messageOf, StoreBusyError, StoreError, StoreTimeoutError } from '../core/errors.js';
import { monotonicNow } from '../core/monotonic-now.js';

/** What a batch carries: one scope and what is observed there. */
export interface BatchEntry {
  readonly scope: string;
  readonly kind: ObservationKind;
  /** When a calm or panic was seen (monotonicNow): what the clock judges it by, not the batch's send time. {@link ObservationBatcher.add} stamps an entry that has none. */
  issuedAtMs?: number | undefined;
}

/** Called once per batch, when it is answered or its deadline passes, before anyone waiting on it resumes. */
export type SettleBatch<E extends BatchEntry> = (entries: readonly E[], results: readonly ObservationResult[], durationMs: number) => void;

/** Called when a batch whose deadline had passed is answered after all: what the clock holds is still news. */
export type LateBatch<E extends BatchEntry> = (entries: readonly E[], results: readonly ObservationResult[]) => void;

interface Batch<E extends BatchEntry> {
  readonly entries: E[];
  readonly done: Promise<void>;
  resolve: () => void;
  settled: boolean;
  /** performance.now() when it was sent; null while it waits for the batch in flight. */
  sentAt: number | null;
  readonly createdAt: number;
  readonly deadline: ReturnType<typeof setTimeout>;
}

/** Longest a batch keeps the one sending slot past its deadline, for a clock that never settles (as a multiple of timeoutMs). */
const SLOT_GRACE = 1;

/**
 * Gathers the clock observations a breaker needs into batches: every observation
 * asked by the code running now joins one batch, sent as ONE `clock.observeMany`
 * call (`observe` per entry for a clock without it), and at most one batch is in
 * flight: what is asked meanwhile waits for it and leaves, as one batch, as soon
 * as it settles. So a burst of state changes over thousands of scopes costs a few
 * round trips, not one per scope. Each batch has one deadline, `timeoutMs` after
 * its first entry: past it every entry fails (`store_timeout` when sent,
 * `store_busy` when it never left because the batch before it hung), so no
 * entry waits longer than `timeoutMs` whatever the clock does. Entries are
 * deduplicated by the caller (one per scope and kind), so a batch holds at most
 * three entries per scope the caller tracks.
 */
export class ObservationBatcher<E extends BatchEntry> {
  readonly #clock: PanicClock;
  readonly #timeoutMs: number;
  readonly #settle: SettleBatch<E>;
  readonly #late: LateBatch<E> | undefined;
  /** The batch collecting entries, not sent yet. */
  #open: Batch<E> | null = null;
  /** The batch in flight; released when the clock settles (or SLOT_GRACE × timeoutMs after its deadline). */
  #sending: Promise<void> | null = null;
  #flushScheduled = false;
  /** Every batch not settled yet, for drain(). */
  readonly #unsettled = new Set<Promise<void>>();

  constructor(clock: PanicClock, timeoutMs: number, settle: SettleBatch<E>, late?: LateBatch<E>) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#settle = settle;
    this.#late = late;
  }

  /** Whether a batch is in flight. */
  get busy(): boolean {
    return this.#sending !== null;
  }

  /**
   * Adds an entry to the next batch; resolves (never rejects) once that batch has been
   * settled. A calm or panic without a stamp (when its caller saw it) is stamped now: it
   * may wait behind the batch in flight, and a calm stamped at the send would delete a
   * panic that began meanwhile (reads need no stamp).
   */
  add(entry: E): Promise<void> {
    if (entry.kind !== 'read' && entry.issuedAtMs === undefined) entry.issuedAtMs = monotonicNow();
    const batch = this.#open ?? this.#newBatch();
    batch.entries.push(entry);
    return batch.done;
  }

  /** Resolves when every batch made so far has settled (each within `timeoutMs` of its first entry). */
  async drain(): Promise<void> {
    while (this.#unsettled.size > 0) await Promise.all(this.#unsettled);
  }

  #newBatch(): Batch<E> {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const batch: Batch<E> = {
      entries: [],
      done,
      resolve,
      settled: false,
      sentAt: null,
      createdAt: performance.now(),
      deadline: setTimeout(() => this.#expire(batch), this.#timeoutMs),
    };
    this.#open = batch;
    this.#unsettled.add(done);
    this.#scheduleFlush();
    return batch;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#sending !== null) return;
    this.#flushScheduled = true;
    // A microtask: every observation asked by the code running now joins the batch, and no timer
    // (its deadline) can run first however late the event loop is. What is asked while it is in
    // flight waits for it and leaves together.
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#open;
    if (batch === null || this.#sending !== null) return;
    this.#open = null;
    batch.sentAt = performance.now();
    const call = this.#call(batch.entries).then(
      (results) => this.#finish(batch, results),
      (error: unknown) => this.#finish(batch, batch.entries.map(() => ({ ok: false, error: asError(error) }))),
    );
    // The slot is held until the clock settles: a hung store gets no second batch before its own
    // timeout has marked it stuck. A clock that never settles holds it SLOT_GRACE × timeoutMs past the deadline.
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const slot = Promise.race([call, new Promise<void>((r) => (graceTimer = setTimeout(r, this.#timeoutMs * (1 + SLOT_GRACE))))]).then(() => {
      clearTimeout(graceTimer);
      if (this.#sending === slot) this.#sending = null;
      if (this.#open !== null) this.#scheduleFlush();
    });
    this.#sending = slot;
  }

  /** The clock's answers, one per entry, in order; rejects for a failure of the whole call. */
  async #call(entries: readonly E[]): Promise<readonly ObservationResult[]> {
    const clock = this.#clock;
    if (typeof clock.observeMany !== 'function') {
      return Promise.all(
        entries.map(({ scope, kind }) =>
          new Promise<ObservationResult>((resolve) => resolve(clock.observe(scope, kind).then((observation) => ({ ok: true, observation }))))
            .catch((error: unknown): ObservationResult => ({ ok: false, error: asError(error) })),
        ),
      );
    }
    const results = await clock.observeMany(entries); // an entry is an ObservationRequest: { scope, kind }
    if (!Array.isArray(results) || results.length !== entries.length) {
      throw new StoreError(`the clock's observeMany answered ${Array.isArray(results) ? `${results.length} results` : typeof results} for ${entries.length} requests`);
    }
    return results;
  }

  #finish(batch: Batch<E>, results: readonly ObservationResult[]): void {
    if (!batch.settled) {
      this.#complete(batch, results, performance.now() - (batch.sentAt ?? batch.createdAt));
      return;
    }
    try {
      this.#late?.(batch.entries, results);
    } catch {
      // as in settle: nothing escapes into the clock's promise chain
    }
  }

  /** The deadline passed: an entry of a batch sent is a timeout; of one that never left, busy (nothing was sent). */
  #expire(batch: Batch<E>): void {
    if (batch.settled) return;
    if (this.#open === batch) this.#open = null;
    const error = batch.sentAt === null ? new StoreBusyError('the panic clock (the batch before is still unanswered)') : new StoreTimeoutError(this.#timeoutMs);
    this.#complete(batch, batch.entries.map(() => ({ ok: false, error })), performance.now() - (batch.sentAt ?? batch.createdAt));
  }

  #complete(batch: Batch<E>, results: readonly ObservationResult[], durationMs: number): void {
    batch.settled = true;
    clearTimeout(batch.deadline);
    try {
      this.#settle(batch.entries, results, durationMs);
    } catch {
      // settle isolates its own listeners; nothing may escape into a timer
    } finally {
      this.#unsettled.delete(batch.done);
      batch.resolve();
    }
  }
}

/** Anything a clock threw or rejected with, as an Error (a value that cannot even be inspected included). */
function asError(error: unknown): Error {
  try {
    if (error instanceof Error) return error;
  } catch {
    // a revoked proxy: fall through
  }
  return new StoreError(`the panic clock failed: ${messageOf(error)}`);
}
