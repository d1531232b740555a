import { VIX_STATUS_LEVEL, type VixStatus } from '../policy/vix-status.js';
import { GLOBAL_SCOPE } from '../clock/scope.js';
import { AdaptivePanicQuota } from '../policy/adaptive-panic-quota.js';
import { IMPORTANCES, type Importance } from '../policy/importance.js';
import type { PanicMode, Tier } from '../policy/panic-mode.js';
import type { RejectReason } from './tick.js';
import { VixEngine, type VixEngineStats } from './vix-engine.js';
import type { TransitionCause } from './vix-hooks.js';
import type { ResolvedVixOptions, VixEngineOptions } from './vix-options.js';

/** Options of {@link VixReplay}. */
export interface VixReplayOptions {
  /** Engine options (thresholds, delays…); hooks are not allowed here. */
  engine?: Omit<VixEngineOptions, 'hooks'> | undefined;
  /** The policy whose tiers the timeline shows. Default: the seed's. */
  policy?: AdaptivePanicQuota | undefined;
  /** Base TTL of the tier timeline, seconds. Default 60. */
  baseTtl?: number | undefined;
  /** One chart point per scope per this much tick time (the highest index in it), ms. Default 1 s. */
  sampleEveryMs?: number | undefined;
}

/** One status change in a replay. */
export interface ReplayTransition {
  ts: number;
  from: VixStatus;
  to: VixStatus;
  index: number;
  cause: TransitionCause;
}

/** When a tier began during a panic (tier 0: the panic ended). */
export interface TierStep {
  ts: number;
  /** Minutes of panic at that moment. */
  afterMin: number;
  tier: Tier;
  mode: PanicMode;
  ttl: number;
}

/** One panic of a scope and the tiers it went through for each importance. */
export interface ReplayPanic {
  startTs: number;
  /** When it ended; null when it still ran at the end of the file. */
  endTs: number | null;
  durationMin: number;
  tiers: Record<Importance, TierStep[]>;
}

/** The timeline of one scope. */
export interface ReplayScope {
  scope: string;
  finalStatus: VixStatus;
  maxIndex: number;
  ticks: number;
  transitions: ReplayTransition[];
  panics: ReplayPanic[];
  /** Chart points: tick time, highest index since the previous point, status level (0 calm, 1 elevated, 2 panic). */
  series: Array<[number, number, number]>;
}

/** Everything a replay found. */
export interface ReplayResult {
  ticks: { total: number; accepted: number; rejected: number; byReason: Partial<Record<RejectReason, number>> };
  /** First and last tick time seen (ms); null without a valid tick. */
  fromTs: number | null;
  untilTs: number | null;
  baseTtl: number;
  options: Omit<ResolvedVixOptions, 'hooks'>;
  /** `global` first, then by name. */
  scopes: ReplayScope[];
}

interface Recording {
  transitions: ReplayTransition[];
  series: Array<[number, number, number]>;
  maxIndex: number;
  ticks: number;
  bucketEnd: number;
  bucketMax: number;
  bucketLevel: number;
}

/**
 * Replays a tick stream through a {@link VixEngine} and keeps what a person wants
 * to see afterwards: each scope's status transitions, the tier each importance would
 * have been in during each panic, chart points of the index, and the bad ticks.
 */
export class VixReplay {
  readonly engine: VixEngine;
  readonly #policy: AdaptivePanicQuota;
  readonly #baseTtl: number;
  readonly #sampleEveryMs: number;
  readonly #recordings = new Map<string, Recording>();
  #total = 0;
  #fromTs = Number.POSITIVE_INFINITY;

  /** @throws InvalidConfigError for bad engine options. */
  constructor(options: VixReplayOptions = {}) {
    this.engine = new VixEngine(options.engine);
    this.#policy = options.policy ?? new AdaptivePanicQuota();
    this.#baseTtl = options.baseTtl ?? 60;
    this.#sampleEveryMs = options.sampleEveryMs ?? 1000;
    this.engine.onIndex((e) => this.#sample(e.scope, e.ts, e.index, VIX_STATUS_LEVEL[e.status]));
    this.engine.onTransition((e) => {
      const recording = this.#recording(e.scope);
      recording.transitions.push({ ts: e.ts, from: e.from, to: e.to, index: e.index, cause: e.cause });
      recording.bucketLevel = Math.max(recording.bucketLevel, VIX_STATUS_LEVEL[e.to]);
    });
  }

  /** Feeds one record (a tick, or whatever the file held). */
  ingest(record: unknown): void {
    this.#total += 1;
    this.engine.ingest(record);
  }

  /** The timelines so far. */
  result(): ReplayResult {
    const stats: VixEngineStats = this.engine.stats();
    const untilTs = stats.timeMs;
    const byReason = Object.fromEntries(Object.entries(stats.byReason).filter(([, n]) => n > 0)) as Partial<Record<RejectReason, number>>;
    const names = [...this.#recordings.keys()].sort((a, b) => (a === GLOBAL_SCOPE ? -1 : b === GLOBAL_SCOPE ? 1 : a < b ? -1 : 1));
    const { hooks: _hooks, ...options } = this.engine.options;
    return {
      ticks: { total: this.#total, accepted: stats.accepted, rejected: this.#total - stats.accepted, byReason },
      fromTs: untilTs === null ? null : this.#fromTs,
      untilTs,
      baseTtl: this.#baseTtl,
      options,
      scopes: names.map((scope) => this.#scopeResult(scope, untilTs ?? 0)),
    };
  }

  #scopeResult(scope: string, untilTs: number): ReplayScope {
    const recording = this.#recording(scope);
    const series = [...recording.series];
    if (recording.bucketMax > 0) series.push([Math.min(recording.bucketEnd, untilTs), recording.bucketMax, recording.bucketLevel]);
    const snapshot = this.engine.snapshot(scope);
    const last = recording.transitions.at(-1);
    return {
      scope,
      finalStatus: snapshot?.status ?? last?.to ?? 'calm',
      maxIndex: recording.maxIndex,
      ticks: recording.ticks,
      transitions: recording.transitions,
      panics: this.#panics(recording.transitions, untilTs),
      series,
    };
  }

  #panics(transitions: ReplayTransition[], untilTs: number): ReplayPanic[] {
    const panics: ReplayPanic[] = [];
    let start: number | null = null;
    for (const t of transitions) {
      if (t.to === 'panic') start = t.ts;
      else if (t.from === 'panic' && start !== null) {
        panics.push(this.#panic(start, t.ts, untilTs));
        start = null;
      }
    }
    if (start !== null) panics.push(this.#panic(start, null, untilTs));
    return panics;
  }

  /** The tier timeline of one panic per importance, from the policy at each tier's first minute. */
  #panic(startTs: number, endTs: number | null, untilTs: number): ReplayPanic {
    const lastTs = endTs ?? untilTs;
    const tiers = {} as Record<Importance, TierStep[]>;
    for (const importance of IMPORTANCES) {
      const match = { importance };
      const steps: TierStep[] = [];
      for (const row of this.#policy.plan(this.#baseTtl, match)) {
        const ts = startTs + row.fromMin * 60_000;
        if (ts > lastTs || (endTs !== null && ts >= endTs)) break;
        const decision = this.#policy.calculateTtlStrategy(this.#baseTtl, row.fromMin, match);
        steps.push({ ts, afterMin: row.fromMin, tier: decision.tier, mode: decision.mode, ttl: decision.ttl });
      }
      if (endTs !== null) {
        const calm = this.#policy.calculateTtlStrategy(this.#baseTtl, null, match);
        steps.push({ ts: endTs, afterMin: (endTs - startTs) / 60_000, tier: calm.tier, mode: calm.mode, ttl: calm.ttl });
      }
      tiers[importance] = steps;
    }
    return { startTs, endTs, durationMin: (lastTs - startTs) / 60_000, tiers };
  }

  #sample(scope: string, ts: number, index: number, level: number): void {
    const recording = this.#recording(scope);
    if (recording.ticks === 0 && ts < this.#fromTs) this.#fromTs = ts;
    recording.ticks += 1;
    if (index > recording.maxIndex) recording.maxIndex = index;
    if (ts >= recording.bucketEnd && recording.bucketMax > 0) {
      recording.series.push([recording.bucketEnd, recording.bucketMax, recording.bucketLevel]);
      recording.bucketMax = 0;
      recording.bucketLevel = 0;
    }
    if (recording.bucketMax === 0) recording.bucketEnd = ts + this.#sampleEveryMs;
    if (index > recording.bucketMax) recording.bucketMax = index;
    if (level > recording.bucketLevel) recording.bucketLevel = level;
  }

  #recording(scope: string): Recording {
    let recording = this.#recordings.get(scope);
    if (!recording) {
      recording = { transitions: [], series: [], maxIndex: 0, ticks: 0, bucketEnd: 0, bucketMax: 0, bucketLevel: 0 };
      this.#recordings.set(scope, recording);
    }
    return recording;
  }
}
