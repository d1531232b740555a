import { LRUCache } from 'lru-cache';
import type { ShadowLedger } from '../../breaker/shadow-ledger.js';
import type { PanicClock, PanicInspection } from '../../clock/panic-clock.js';
import { monotonicNow } from '../../core/monotonic-now.js';
import { withTimeout } from '../../core/with-timeout.js';
import { storeFailureOf, storeFailureReason } from '../../core/store-failure.js';
import type { AdaptivePanicQuota } from '../../policy/adaptive-panic-quota.js';
import { IMPORTANCES, type Importance } from '../../policy/importance.js';
import type { PanicMode, Tier } from '../../policy/panic-mode.js';
import type { FailSafeReason, TtlDecision } from '../../policy/ttl-decision.js';
import { extrapolate, knowledgeFromFailure, knowledgeFromInspection, newerKnowledge, type PanicKnowledge, type PanicReading } from './panic-knowledge.js';
import type { TierRates } from './rate-window.js';
import { untrackedActivity, type ScopeActivity, type ScopeTracker } from './scope-tracker.js';
import type { ScopeGaugeValues } from './service-metrics.js';
import type { StoreHealth, StoreHealthReport } from './store-health.js';
import type { VixProvider, VixReading, VixScopeReading, VixSource, VixView } from '../vix/vix-source.js';

/** The service's VIX engine in `/v1/state`: where it runs, tick counts, thresholds, the latest transitions. */
export interface VixSummary extends Omit<VixView, 'scopes'> {
  /** `engine`: in the process that answered; `primary`: in the cluster primary (this is its latest sample). */
  location: 'engine' | 'primary';
}

/** Decisions per second, in total and per tier (index 0 = no panic … 4). */
export interface RatesView {
  total: number;
  byTier: TierRates;
}

/** What a scope's panic means for one importance right now. */
export type ImportanceView = Pick<TtlDecision, 'tier' | 'mode' | 'ttl' | 'nextTierInMin' | 'failSafe' | 'reason'>;

/** One scope in {@link ServiceStateSnapshot}. */
export interface ScopeStateView {
  scope: string;
  /** The shared clock's view of the panic, as this process last read it (carried forward to now); null when it could not be read. */
  panic: {
    active: boolean;
    startedAt: string | null;
    durationMs: number | null;
    /** Null when the last reading did not say (a decision's observation). */
    inGrace: boolean | null;
    expiresInMs: number | null;
    corrupt: string | null;
    /** `decision`: the breaker's observation for a decision; `inspection`: a read-only look. */
    source: 'decision' | 'inspection';
    /** How long ago (real ms) it was read. */
    ageMs: number;
  } | null;
  /** Why the panic could not be read (`store_timeout`, `not_read_yet`…), or null. */
  error: string | null;
  /** Tier and TTL (for `displayBaseTtl`) per importance; null when the panic is unknown. */
  tiers: Record<Importance, ImportanceView> | null;
  /** Highest tier over the importances (0 when calm or unknown). */
  maxTier: Tier;
  decisions: number;
  decisionsPerSecond: RatesView;
  /** The last decision in this scope failed safe, and why. */
  failSafe: { active: boolean; reason: FailSafeReason | null; since: string | null };
  /** The scope's VIX (index, status, warm-up, pending change); null when no engine follows it. */
  vix: VixReading | null;
}

/** What shadow mode would have changed for one importance so far (this process, since it started). */
export interface ShadowImportanceView {
  /** Shadow decisions taken. */
  decisions: number;
  /** Of those, the ones whose TTL would have been shorter than the base TTL served. */
  fresherDecisions: number;
  /** Time-weighted scope-minutes (service clock) during which callers served data that vix-ttl would have served fresher. */
  fresherMinutes: number;
  /** Of those, the minutes at TTL 0 (tier 1, fail-safe included): fresh data. */
  freshMinutes: number;
}

/**
 * Whether the service runs in shadow mode (`serve --shadow`, `VIX_TTL_SHADOW`,
 * `breaker.shadow`): then callers are `served` their base TTL while the tiers shown are
 * what vix-ttl decides, and `byImportance` sums up what it would have changed. An operator
 * must be able to tell, from the state alone, whether the tiers shown reach the callers.
 */
export interface ShadowView {
  active: boolean;
  /** What callers get for `displayBaseTtl` in shadow mode (the base TTL, mode NORMAL, tier 0); null when live: they get the tiers shown. */
  served: { ttl: number; mode: 'NORMAL'; tier: 0 } | null;
  /** What shadow would have changed so far, per importance; null when live. */
  byImportance: Record<Importance, ShadowImportanceView> | null;
}

/** What `GET /v1/state` returns and `GET /v1/events` streams. */
export interface ServiceStateSnapshot {
  generatedAt: string;
  /** The panic clock's time (accelerated in the demo), in ms. */
  clockNowMs: number;
  worker: { pid: number };
  clock: { kind: string; timeScale: number; accelerated: boolean; label: string };
  store: StoreHealthReport;
  /** Base TTL the per-importance TTLs are shown for. */
  displayBaseTtl: number;
  /** Shadow mode: whether the tiers shown reach the callers, and what they get instead. */
  shadow: ShadowView;
  decisionsPerSecond: RatesView;
  /** An extended panic (tier 3 or 4) somewhere. */
  alert: { active: boolean; tier: Tier; scopes: Array<{ scope: string; importance: Importance; tier: Tier; mode: PanicMode }> };
  /** The VIX engine, or null when the service has none. */
  vix: VixSummary | null;
  /** Global first, then the scopes with decisions (most recent first), then the VIX engine's other scopes. */
  scopes: ScopeStateView[];
}

/** Options of {@link ServiceState}. */
export interface ServiceStateOptions {
  clock: PanicClock;
  policy: AdaptivePanicQuota;
  tracker: ScopeTracker;
  health: StoreHealth;
  displayBaseTtl: number;
  timeScale: number;
  /** Longest wait for one scope's inspection. */
  inspectTimeoutMs: number;
  /** Most scopes one state build inspects (those with no recent reading, least recently read first). Default 16. */
  maxInspectionsPerBuild?: number | undefined;
  /** The clock-time source the breaker uses (the demo's accelerated time), to carry readings forward: the breaker's `localMs` is on it. Default the breaker's default, a monotonic clock. */
  now?: (() => number) | undefined;
  /** The service's VIX engine: its scopes are listed (at most `maxVixScopes` without decisions) with their readings. */
  vixSource?: VixSource | null | undefined;
  /** Most scopes listed only because the VIX engine follows them. Default 200. */
  maxVixScopes?: number | undefined;
  /** Readings for scopes the engine does not follow (an external VIX). */
  vix?: VixProvider | undefined;
  /** In shadow mode, the ledger of what the breaker served (the state shows its totals); absent or null: live. */
  shadow?: ShadowLedger | null | undefined;
}

/** A reading younger than this (real ms) is shown without asking the store again. */
const REREAD_AFTER_MS = 1_000;
/** The per-scope metrics show readings younger than this (real ms); older ones say nothing reliable. */
const GAUGE_MAX_AGE_MS = 60_000;

/**
 * Builds the service's state (every tracked scope's panic, tiers per importance,
 * decision rates, store health) from what this process last read of the clock: the
 * breaker's observations, the health check's look at the global scope, and a few
 * inspections per build (at most `maxInspectionsPerBuild`, for scopes with no
 * reading younger than 1 s). Snapshots are reused for a short while and concurrent
 * requests share one build, so the store's load does not grow with the number of
 * scopes, dashboards or scrapes; the metrics read local state only ({@link gaugeValues}).
 */
export class ServiceState {
  readonly #options: ServiceStateOptions;
  readonly #now: () => number;
  readonly #maxInspections: number;
  /** What inspections (builds, health checks) read; per scope, bounded. */
  readonly #inspected: LRUCache<string, PanicKnowledge>;
  #last: { snapshot: ServiceStateSnapshot; atMs: number } | null = null;
  #building: Promise<ServiceStateSnapshot> | null = null;

  constructor(options: ServiceStateOptions) {
    this.#options = options;
    this.#now = options.now ?? monotonicNow;
    this.#maxInspections = options.maxInspectionsPerBuild ?? 16;
    this.#inspected = new LRUCache({ max: 2 * (options.maxVixScopes ?? 200) + 256 });
  }

  /** Keeps an inspection read elsewhere (the health check's look at the global scope). */
  learn(inspection: PanicInspection): void {
    this.#inspected.set(inspection.scope, knowledgeFromInspection(inspection, this.#now(), Date.now()));
  }

  /** Forgets what is known of a scope (an admin call changed it): the next build reads it. */
  forget(scope: string): void {
    this.#inspected.delete(scope);
    this.#options.tracker.forget(scope);
  }

  /**
   * Per-scope values for the metrics, from local state only (no store call): each
   * tracked scope whose latest reading is younger than a minute, carried forward
   * to now. A scope whose latest read failed, or with no recent reading, has none.
   */
  gaugeValues(): ScopeGaugeValues[] {
    const nowMs = Date.now();
    const clockNowMs = this.#now();
    const values: ScopeGaugeValues[] = [];
    for (const activity of this.#options.tracker.list()) {
      const knowledge = this.#knowledgeOf(activity.scope, activity);
      const reading = knowledge?.reading;
      if (!reading || nowMs - knowledge.atMs > GAUGE_MAX_AGE_MS) continue;
      const { durationMs } = extrapolate(reading, clockNowMs);
      const active = reading.active && durationMs !== null;
      const tiers = this.#tiers(active ? durationMs : null);
      values.push({ scope: activity.scope, panicActive: active, panicDurationSeconds: (durationMs ?? 0) / 1000, tiers: Object.fromEntries(IMPORTANCES.map((i) => [i, tiers[i].tier])) as Record<Importance, Tier> });
    }
    return values;
  }

  /** A snapshot no older than `maxAgeMs` (0: a fresh one). */
  snapshot(maxAgeMs = 0): Promise<ServiceStateSnapshot> {
    if (this.#last && maxAgeMs > 0 && Date.now() - this.#last.atMs < maxAgeMs) return Promise.resolve(this.#last.snapshot);
    this.#building ??= this.#build().finally(() => {
      this.#building = null;
    });
    return this.#building;
  }

  async #build(): Promise<ServiceStateSnapshot> {
    const { clock, tracker, health, timeScale, displayBaseTtl } = this.#options;
    const vixView = this.#options.vixSource?.view() ?? null;
    const readings = new Map((vixView?.scopes ?? []).map((reading) => [reading.scope, reading]));
    const activities = this.#activities(tracker.list(), vixView);
    const [store] = await Promise.all([health.latest() ?? health.check(0), this.#readStale(activities)]);
    const nowMs = Date.now();
    const clockNow = this.#now();
    const views = activities.map((activity) => this.#scopeView(activity, readings, nowMs, clockNow));
    const clockNowMs = views.find((v) => v.clockNowMs !== null)?.clockNowMs ?? clockNow;
    const scopes = views.map((v) => v.view);
    const alertScopes = scopes.flatMap((view) =>
      view.panic?.active && view.tiers ? IMPORTANCES.filter((i) => view.tiers![i].tier >= 3).map((importance) => ({ scope: view.scope, importance, tier: view.tiers![importance].tier, mode: view.tiers![importance].mode })) : [],
    );
    const snapshot: ServiceStateSnapshot = {
      generatedAt: new Date(nowMs).toISOString(),
      clockNowMs,
      worker: { pid: process.pid },
      clock: { kind: clock.kind, timeScale, accelerated: timeScale !== 1, label: timeScale === 1 ? 'real time' : `accelerated clock ×${timeScale}` },
      store,
      displayBaseTtl,
      shadow: shadowView(this.#options.shadow ?? null, displayBaseTtl),
      decisionsPerSecond: ratesView(tracker.totalRates().perSecond(nowMs)),
      alert: { active: alertScopes.length > 0, tier: alertScopes.reduce<Tier>((max, a) => (a.tier > max ? a.tier : max), 0), scopes: alertScopes },
      vix: vixView ? summaryOf(vixView, this.#options.vixSource!.location) : null,
      scopes,
    };
    this.#last = { snapshot, atMs: nowMs };
    return snapshot;
  }

  /** Inspects the scopes with no reading younger than {@link REREAD_AFTER_MS} (or whose last read failed): at most `maxInspectionsPerBuild`, least recently read first. */
  async #readStale(activities: ScopeActivity[]): Promise<void> {
    const nowMs = Date.now();
    const stale = activities
      .map((activity) => ({ scope: activity.scope, knowledge: this.#knowledgeOf(activity.scope, activity) }))
      .filter(({ knowledge }) => !knowledge || knowledge.reading === null || nowMs - knowledge.atMs >= REREAD_AFTER_MS)
      .sort((a, b) => (a.knowledge?.atMs ?? -1) - (b.knowledge?.atMs ?? -1))
      .slice(0, this.#maxInspections);
    const { clock, inspectTimeoutMs } = this.#options;
    await Promise.all(
      stale.map(async ({ scope }) => {
        try {
          this.#inspected.set(scope, knowledgeFromInspection(await withTimeout(clock.inspect(scope), inspectTimeoutMs), this.#now(), Date.now()));
        } catch (error) {
          this.#inspected.set(scope, knowledgeFromFailure(storeFailureReason(storeFailureOf(error)), Date.now()));
        }
      }),
    );
  }

  /** The newest of what the breaker and the inspections learned of a scope. */
  #knowledgeOf(scope: string, activity: ScopeActivity): PanicKnowledge | null {
    return newerKnowledge(activity.knowledge, this.#inspected.peek(scope));
  }

  /** The tracked scopes, then those only the VIX engine follows (bounded). */
  #activities(tracked: ScopeActivity[], vixView: VixView | null): ScopeActivity[] {
    if (!vixView) return tracked;
    const known = new Set(tracked.map((a) => a.scope));
    const nowMs = Date.now();
    const extra = vixView.scopes
      .filter((reading) => !known.has(reading.scope))
      .slice(0, this.#options.maxVixScopes ?? 200)
      .map((reading) => untrackedActivity(reading.scope, nowMs));
    return [...tracked, ...extra];
  }

  #scopeView(activity: ScopeActivity, readings: Map<string, VixScopeReading>, nowMs: number, clockNow: number): { view: ScopeStateView; clockNowMs: number | null } {
    const { vix } = this.#options;
    const common = {
      scope: activity.scope,
      decisions: activity.decisions,
      decisionsPerSecond: ratesView(activity.rates.perSecond(nowMs)),
      failSafe: { active: activity.failSafe, reason: activity.failSafeReason, since: activity.failSafeSinceMs === null ? null : new Date(activity.failSafeSinceMs).toISOString() },
      vix: readingOf(readings.get(activity.scope)) ?? vix?.(activity.scope) ?? null,
    };
    const knowledge = this.#knowledgeOf(activity.scope, activity);
    const reading: PanicReading | null | undefined = knowledge?.reading;
    if (!knowledge || !reading) return { view: { ...common, panic: null, error: knowledge?.error ?? 'not_read_yet', tiers: null, maxTier: 0 }, clockNowMs: null };
    const { clockNowMs, durationMs } = extrapolate(reading, clockNow);
    const tiers = this.#tiers(reading.active ? durationMs : null);
    const maxTier = Math.max(...IMPORTANCES.map((i) => tiers[i].tier)) as Tier;
    const panic = {
      active: reading.active,
      startedAt: reading.startedAtMs === null ? null : new Date(reading.startedAtMs).toISOString(),
      durationMs: reading.active ? durationMs : null,
      inGrace: reading.inGrace,
      expiresInMs: reading.expiresInMs === null ? null : Math.max(0, reading.expiresInMs - Math.max(0, clockNow - reading.localMs)),
      corrupt: reading.corrupt,
      source: reading.source,
      ageMs: Math.max(0, nowMs - knowledge.atMs),
    };
    return { view: { ...common, panic, error: null, tiers, maxTier }, clockNowMs };
  }

  #tiers(durationMs: number | null): Record<Importance, ImportanceView> {
    const { policy, displayBaseTtl } = this.#options;
    const minutes = durationMs === null ? null : durationMs / 60_000;
    const entries = IMPORTANCES.map((importance) => {
      const { tier, mode, ttl, nextTierInMin, failSafe, reason } = policy.calculateTtlStrategy(displayBaseTtl, minutes, { importance });
      return [importance, { tier, mode, ttl, nextTierInMin, failSafe, reason }] as const;
    });
    return Object.fromEntries(entries) as Record<Importance, ImportanceView>;
  }
}

function readingOf(reading: VixScopeReading | undefined): VixReading | null {
  if (!reading) return null;
  const { index, status, warm, since, pending, lastTickAt, ticks } = reading;
  return { index, status, warm, since, pending, lastTickAt, ticks };
}

function summaryOf(view: VixView, location: VixSummary['location']): VixSummary {
  const { sampledAt, timeMs, totalScopes, ticks, transitions, thresholds, recent, publishing } = view;
  return { location, sampledAt, timeMs, totalScopes, ticks, transitions, thresholds, recent, publishing };
}

function ratesView(byTier: TierRates): RatesView {
  return { total: Math.round(byTier.reduce((sum, rate) => sum + rate, 0) * 100) / 100, byTier };
}

/** The shadow part of the state: live (nothing instead of the tiers shown), or what callers get and the ledger's totals per importance. */
function shadowView(ledger: ShadowLedger | null, displayBaseTtl: number): ShadowView {
  if (ledger === null) return { active: false, served: null, byImportance: null };
  const byImportance = Object.fromEntries(IMPORTANCES.map((i) => [i, { decisions: 0, fresherDecisions: 0, fresherMinutes: 0, freshMinutes: 0 }])) as Record<Importance, ShadowImportanceView>;
  for (const total of ledger.totals()) {
    const view = byImportance[total.importance];
    view.decisions += total.decisions;
    if (total.outcome !== 'fresher') continue;
    view.fresherDecisions += total.decisions;
    view.fresherMinutes += total.servedSeconds / 60;
    if (total.tier === 1) view.freshMinutes += total.servedSeconds / 60;
  }
  return { active: true, served: { ttl: displayBaseTtl, mode: 'NORMAL', tier: 0 }, byImportance };
}
