import { LRUCache } from 'lru-cache';
import { GLOBAL_SCOPE } from '../../clock/scope.js';
import { EventEmitter, type Event } from '../../core/event.js';
import type { Importance } from '../../policy/importance.js';
import type { FailSafeReason, TtlDecision } from '../../policy/ttl-decision.js';
import type { PanicKnowledge } from './panic-knowledge.js';
import { RateWindow } from './rate-window.js';

/** What the service saw of one scope's decisions in this process. */
export interface ScopeActivity {
  readonly scope: string;
  readonly rates: RateWindow;
  decisions: number;
  lastDecisionAtMs: number | null;
  /** The last decision was a fail-safe one (TTL 0 because the start could not be had). */
  failSafe: boolean;
  failSafeReason: FailSafeReason | null;
  /** When the current run of fail-safe decisions began; null when not failing safe. */
  failSafeSinceMs: number | null;
  /** Last (tier, fail-safe) per importance as `tier * 2 + failSafe`, −1 for none, to notice changes without a string per decision. */
  readonly signatures: Record<Importance, number>;
  /** What the breaker last learned of the scope's panic (or why it could not), or null. */
  knowledge: PanicKnowledge | null;
}

/** Options of {@link ScopeTracker}. */
export interface ScopeTrackerOptions {
  /** Most named scopes kept besides `global` (least recently used dropped first). */
  maxScopes: number;
  now?: (() => number) | undefined;
}

/**
 * The scopes this process has seen (through decisions or admin calls), bounded by
 * an LRU so arbitrary scope names cannot grow memory or metric cardinality. The
 * global scope is always tracked.
 */
export class ScopeTracker {
  readonly #changes = new EventEmitter<string>();
  /** Subscribes to the scopes whose tier or fail-safe state changed for an importance with a decision (the event stream pushes then). */
  readonly onChange: Event<string> = this.#changes.event;
  readonly #global: ScopeActivity;
  readonly #scopes: LRUCache<string, ScopeActivity>;
  readonly #total: RateWindow;
  readonly #now: () => number;

  constructor(options: ScopeTrackerOptions) {
    this.#now = options.now ?? Date.now;
    this.#global = newActivity(GLOBAL_SCOPE, this.#now());
    this.#total = new RateWindow(10, this.#now());
    this.#scopes = new LRUCache({ max: options.maxScopes });
  }

  /** Marks a (normalized) scope as seen and returns its activity. */
  touch(scope: string): ScopeActivity {
    if (scope === GLOBAL_SCOPE) return this.#global;
    let activity = this.#scopes.get(scope);
    if (!activity) {
      activity = newActivity(scope, this.#now());
      this.#scopes.set(scope, activity);
    }
    return activity;
  }

  /** The activity of a tracked scope, without marking it as seen (undefined when not tracked). */
  peek(scope: string): ScopeActivity | undefined {
    return scope === GLOBAL_SCOPE ? this.#global : this.#scopes.peek(scope);
  }

  /** Records what the clock said of `scope` (or why it said nothing); a local read later serves metrics and the state. */
  learn(scope: string, knowledge: PanicKnowledge): void {
    this.touch(scope).knowledge = knowledge;
  }

  /** Forgets what is known of a scope's panic (an admin call changed it), so the next state build reads it again. */
  forget(scope: string): void {
    const activity = scope === GLOBAL_SCOPE ? this.#global : this.#scopes.peek(scope);
    if (activity) activity.knowledge = null;
  }

  /** Records one decision taken for `scope`. */
  record(scope: string, decision: TtlDecision): void {
    const nowMs = this.#now();
    const activity = this.touch(scope);
    activity.rates.add(decision.tier, nowMs);
    this.#total.add(decision.tier, nowMs);
    activity.decisions += 1;
    activity.lastDecisionAtMs = nowMs;
    if (decision.failSafe) {
      activity.failSafeSinceMs ??= nowMs;
      activity.failSafe = true;
      activity.failSafeReason = decision.reason ?? null;
    } else {
      activity.failSafe = false;
      activity.failSafeReason = null;
      activity.failSafeSinceMs = null;
    }
    const signature = decision.tier * 2 + (decision.failSafe ? 1 : 0);
    if (activity.signatures[decision.importance] !== signature) {
      activity.signatures[decision.importance] = signature;
      this.#changes.emit(activity.scope);
    }
  }

  /** Global first, then the named scopes, most recently used first. */
  list(): ScopeActivity[] {
    return [this.#global, ...this.#scopes.values()];
  }

  /** Decisions per second by tier, over every scope. */
  totalRates(): RateWindow {
    return this.#total;
  }
}

/** A blank activity: a scope listed without decisions (one the VIX engine follows). Not tracked. */
export function untrackedActivity(scope: string, nowMs: number): ScopeActivity {
  return newActivity(scope, nowMs);
}

function newActivity(scope: string, nowMs: number): ScopeActivity {
  return { scope, rates: new RateWindow(10, nowMs), decisions: 0, lastDecisionAtMs: null, failSafe: false, failSafeReason: null, failSafeSinceMs: null, signatures: { high_stakes: -1, medium_stakes: -1, low_stakes: -1 }, knowledge: null };
}
