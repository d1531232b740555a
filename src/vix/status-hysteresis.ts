import { VIX_STATUSES, type VixStatus } from '../policy/vix-status.js';
import type { ResolvedVixOptions } from './vix-options.js';

/** A status change the index is working towards, and when it will happen if the index holds. */
export interface PendingStatus {
  status: VixStatus;
  /** Tick time since which the condition has held. */
  since: number;
  /** Tick time at which the change happens if the condition still holds. */
  dueAt: number;
}

/**
 * The status of one scope with hysteresis. To rise to a level, the index must stay
 * at or above that level's `enter` threshold for `enterDelayMs`; to fall, below its
 * `exit` threshold (lower than `enter`) for `exitDelayMs`. A move goes straight to
 * the furthest level the index points at (calm → panic, panic → calm) instead of
 * stepping through `elevated`, so one shock is one transition each way.
 */
export class StatusHysteresis {
  /** 0 calm, 1 elevated, 2 panic. */
  level = 0;
  /** Tick time of the last change; NaN while the status has always been calm. */
  since = Number.NaN;
  // Start of the current run of index ≥ enter / index < exit, per level (NaN: no run).
  #aboveElevated = Number.NaN;
  #abovePanic = Number.NaN;
  #belowElevated = Number.NaN;
  #belowPanic = Number.NaN;
  readonly #o: ResolvedVixOptions;

  constructor(options: ResolvedVixOptions) {
    this.#o = options;
  }

  /** The status as a word. */
  get status(): VixStatus {
    return VIX_STATUSES[this.level]!;
  }

  /**
   * Takes the index at tick time `t` and returns the new level, or -1 when the
   * status does not change. Before the scope is warm, nothing runs and it stays calm.
   */
  evaluate(t: number, index: number, warm: boolean): number {
    if (!warm) return -1;
    const { elevated, panic } = this.#o;
    this.#aboveElevated = index >= elevated.enter ? (this.#aboveElevated >= 0 ? this.#aboveElevated : t) : Number.NaN;
    this.#abovePanic = index >= panic.enter ? (this.#abovePanic >= 0 ? this.#abovePanic : t) : Number.NaN;
    this.#belowElevated = index < elevated.exit ? (this.#belowElevated >= 0 ? this.#belowElevated : t) : Number.NaN;
    this.#belowPanic = index < panic.exit ? (this.#belowPanic >= 0 ? this.#belowPanic : t) : Number.NaN;
    const up = this.#upTarget(index);
    if (up > this.level) return t >= this.#upDueAt(up) ? this.#move(up, t) : -1;
    const down = this.#downTarget(index);
    if (down < this.level) return t >= this.#downDueAt(down) ? this.#move(down, t) : -1;
    return -1;
  }

  /** Forces a level (an idle scope going calm). */
  reset(level: number, t: number): void {
    this.level = level;
    this.since = t;
    this.#aboveElevated = this.#abovePanic = this.#belowElevated = this.#belowPanic = Number.NaN;
  }

  /** The change under way, if any, as of the last evaluation at `index`. */
  pending(index: number): PendingStatus | null {
    const up = this.#upTarget(index);
    if (up > this.level && this.#upRunStart(up) >= 0) return { status: VIX_STATUSES[up]!, since: this.#upRunStart(up), dueAt: this.#upDueAt(up) };
    const down = this.#downTarget(index);
    if (down < this.level && this.#belowRunStart(down + 1) >= 0) {
      return { status: VIX_STATUSES[down]!, since: this.#belowRunStart(this.level), dueAt: this.#downDueAt(down) };
    }
    return null;
  }

  #upTarget(index: number): number {
    return index >= this.#o.panic.enter ? 2 : index >= this.#o.elevated.enter ? 1 : 0;
  }

  #downTarget(index: number): number {
    return index < this.#o.elevated.exit ? 0 : index < this.#o.panic.exit ? 1 : 2;
  }

  #upRunStart(level: number): number {
    return level === 2 ? this.#abovePanic : this.#aboveElevated;
  }

  #belowRunStart(level: number): number {
    return level === 2 ? this.#belowPanic : this.#belowElevated;
  }

  #upDueAt(level: number): number {
    return this.#upRunStart(level) + (level === 2 ? this.#o.panic.enterDelayMs : this.#o.elevated.enterDelayMs);
  }

  /** Falling to `target` needs every level above it, up to the current one, to have held below its exit for its delay. */
  #downDueAt(target: number): number {
    let due = Number.NEGATIVE_INFINITY;
    if (this.level >= 2 && target < 2) due = Math.max(due, this.#belowPanic + this.#o.panic.exitDelayMs);
    if (this.level >= 1 && target < 1) due = Math.max(due, this.#belowElevated + this.#o.elevated.exitDelayMs);
    return due;
  }

  #move(level: number, t: number): number {
    this.level = level;
    this.since = t;
    return level;
  }
}
