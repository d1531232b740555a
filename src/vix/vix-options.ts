import { z } from 'zod';
import { hooksOption, parseOptions } from '../core/parse-options.js';
import type { VixHooks } from './vix-hooks.js';

/** Thresholds and minimum durations of one status level (`elevated` or `panic`). */
export interface VixLevelOptions {
  /** The index must reach this value (≥) … */
  enter?: number | undefined;
  /** … and stay there this long (ms of tick time) for the status to rise to this level. */
  enterDelayMs?: number | undefined;
  /** The index must fall below this value (<, lower than `enter`) … */
  exit?: number | undefined;
  /** … and stay below it this long (ms of tick time) for the status to leave this level. */
  exitDelayMs?: number | undefined;
}

/** Options of {@link VixEngine}; every one has a default. */
export interface VixEngineOptions {
  /** Half-life of the fast variance, ms. Default 15 s. */
  fastHalfLifeMs?: number | undefined;
  /** Half-life of the slow variance (the baseline), ms. Default 15 min. */
  slowHalfLifeMs?: number | undefined;
  /** Returns a scope must have seen before its status may leave calm. Default 100. */
  warmupReturns?: number | undefined;
  /**
   * Time a scope must have been followed before its status may leave calm, ms, measured on
   * the engine's time since the scope's first tick was taken — not on the ticks' own
   * times, so a burst of ticks dated over the past cannot warm a scope at once. Default 5 min.
   */
  warmupMs?: number | undefined;
  /**
   * Distinct markets that must have fed a scope before its status may leave calm (part of
   * the warm-up), so one market alone cannot drive a scope into panic. Default 3.
   */
  minMarkets?: number | undefined;
  /** Default `{ enter: 2, exit: 1.5, enterDelayMs: 10 s, exitDelayMs: 30 s }`. */
  elevated?: VixLevelOptions | undefined;
  /** Default `{ enter: 4, exit: 2, enterDelayMs: 10 s, exitDelayMs: 60 s }`. */
  panic?: VixLevelOptions | undefined;
  /** Added to both variances, so a market that does not move has index 1, not 0/0. Default 1e-6 (a 0.1 % move, squared). */
  varianceFloor?: number | undefined;
  /** One squared return counts for at most this many times the baseline variance, so one wild tick cannot make a panic. Default 20. */
  spikeCap?: number | undefined;
  /** After warm-up, keep the baseline fixed while a scope is not calm or is rising (index ≥ elevated.enter), so a long panic is measured against the calm before it. Default true. */
  freezeBaseline?: boolean | undefined;
  /** A tick further than this after its market's previous one starts the market afresh (no return across the gap), ms. Default 5 min. */
  maxGapMs?: number | undefined;
  /** A scope without ticks for this long (of the newest tick time seen) is dropped, and calm if it was not. Default 30 min. */
  scopeIdleMs?: number | undefined;
  /**
   * Furthest a tick may be ahead of the engine's time, ms; a tick further ahead is
   * rejected (`future_ts`), so one far-future tick cannot move the time. Markets that
   * ticked within half of it of the engine's time are the *active* ones the quorums count.
   * At most half of `scopeIdleMs`. Default `scopeIdleMs / 6` (5 min).
   */
  maxLeadMs?: number | undefined;
  /**
   * Furthest a tick may be behind the engine's time, ms; an older tick is rejected
   * (`stale_ts`): it could only feed a scope at a time long gone. At most half of
   * `scopeIdleMs`. Default `scopeIdleMs / 6` (5 min).
   */
  maxLagMs?: number | undefined;
  /**
   * Fewest markets that must have reached a time for it to become the engine's time
   * (fewer while fewer markets are active). Default 2.
   */
  timeQuorum?: number | undefined;
  /**
   * Share of the active markets that must have reached a time for it to become the
   * engine's time, and that must claim a time too far ahead for the engine to leap there.
   * Default 0.5: an attacker must bring as many markets as half the live feed.
   */
  quorumShare?: number | undefined;
  /**
   * Fewest distinct markets that must claim times too far ahead (each market's latest
   * claim counts) for the engine to take them as the whole feed moving on (a replay across
   * a night) and leap to the newest time that many reached — or `⌈quorumShare × active⌉`
   * if more. Default 4. A feed with fewer active markets needs claims from as many markets
   * as are active, and `leapTicks` such ticks in a row.
   */
  leapQuorum?: number | undefined;
  /** Ticks in a row (none taken in between) a feed of fewer than `leapQuorum` active markets must claim to leap. Default 16. */
  leapTicks?: number | undefined;
  /** Most markets remembered; past it the one seen first is forgotten. Default 100,000. */
  maxMarkets?: number | undefined;
  /**
   * Most scopes (besides `global`). A new scope past it evicts the least valuable one:
   * a calm scope still warming up, else a warm calm one, else an elevated one, each the
   * least recently ticked first; a scope in panic is never evicted, and when every scope
   * panics the tick is rejected (`too_many_scopes`). Default 10,000.
   */
  maxScopes?: number | undefined;
  /** Listeners subscribed at construction: a shorthand for `engine.onTransition(fn)`… (see {@link VixHooks}). */
  hooks?: VixHooks | undefined;
}

const DAY_MS = 86_400_000;
const delay = z.number().min(0).max(DAY_MS);
const threshold = z.number().positive().max(1e6);

const levelSchema = (enter: number, exit: number, enterDelayMs: number, exitDelayMs: number) =>
  z
    .strictObject({
      enter: threshold.default(enter),
      exit: threshold.default(exit),
      enterDelayMs: delay.default(enterDelayMs),
      exitDelayMs: delay.default(exitDelayMs),
    })
    .prefault({});

/** The engine's default `scopeIdleMs` (30 min): the service derives its tick-age bound from it. */
export const DEFAULT_SCOPE_IDLE_MS = 1_800_000;

const settingsShape = {
  fastHalfLifeMs: z.number().positive().max(DAY_MS).default(15_000),
  slowHalfLifeMs: z.number().positive().max(30 * DAY_MS).default(900_000),
  warmupReturns: z.number().int().min(0).default(100),
  warmupMs: delay.default(300_000),
  minMarkets: z.number().int().min(1).max(1000).default(3),
  elevated: levelSchema(2, 1.5, 10_000, 30_000),
  panic: levelSchema(4, 2, 10_000, 60_000),
  varianceFloor: z.number().positive().max(1).default(1e-6),
  spikeCap: z.number().min(1).max(1e9).default(20),
  freezeBaseline: z.boolean().default(true),
  maxGapMs: z.number().positive().max(30 * DAY_MS).default(300_000),
  scopeIdleMs: z.number().positive().max(30 * DAY_MS).default(DEFAULT_SCOPE_IDLE_MS),
  maxLeadMs: z.number().positive().max(15 * DAY_MS).optional(),
  maxLagMs: z.number().positive().max(15 * DAY_MS).optional(),
  timeQuorum: z.number().int().min(1).max(1_000_000).default(2),
  quorumShare: z.number().gt(0).max(1).default(0.5),
  leapQuorum: z.number().int().min(1).max(1_000_000).default(4),
  leapTicks: z.number().int().min(1).max(1_000_000).default(16),
  maxMarkets: z.number().int().min(1).default(100_000),
  maxScopes: z.number().int().min(1).default(10_000),
};

type Settings = z.output<z.ZodObject<typeof settingsShape>>;

/** The rules between settings: exits below enters, panic above elevated, the lead and the lag within the idle time. */
function refineSettings(o: Settings, ctx: z.RefinementCtx): void {
  const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  for (const level of ['elevated', 'panic'] as const) {
    const { enter, exit } = o[level];
    if (exit >= enter) issue([level, 'exit'], `must be lower than ${level}.enter (${enter}), got ${exit}`);
  }
  if (o.panic.enter < o.elevated.enter) issue(['panic', 'enter'], `must be ≥ elevated.enter (${o.elevated.enter}), got ${o.panic.enter}`);
  if (o.panic.exit < o.elevated.exit) issue(['panic', 'exit'], `must be ≥ elevated.exit (${o.elevated.exit}), got ${o.panic.exit}`);
  if (o.maxLeadMs !== undefined && o.maxLeadMs > o.scopeIdleMs / 2) issue(['maxLeadMs'], `must be at most half of scopeIdleMs (${o.scopeIdleMs / 2}), got ${o.maxLeadMs}`);
  if (o.maxLagMs !== undefined && o.maxLagMs > o.scopeIdleMs / 2) issue(['maxLagMs'], `must be at most half of scopeIdleMs (${o.scopeIdleMs / 2}), got ${o.maxLagMs}`);
  if (o.fastHalfLifeMs >= o.slowHalfLifeMs) issue(['fastHalfLifeMs'], `must be shorter than slowHalfLifeMs (${o.slowHalfLifeMs}), got ${o.fastHalfLifeMs}`);
}

/**
 * The engine's options that are data (every one but `hooks`), with their defaults
 * and rules: the `vix` section of the service's config file.
 */
export const vixEngineSettingsSchema = z.strictObject(settingsShape).superRefine(refineSettings);

const optionsSchema = z
  .strictObject({
    ...settingsShape,
    hooks: hooksOption<VixHooks>(),
  })
  .superRefine(refineSettings);

/** The engine's options with every default filled in, frozen. */
export type ResolvedVixOptions = Readonly<Omit<z.output<typeof optionsSchema>, 'hooks' | 'maxLeadMs' | 'maxLagMs'>> & {
  readonly hooks?: VixHooks | undefined;
  readonly maxLeadMs: number;
  readonly maxLagMs: number;
};

/**
 * Validates {@link VixEngineOptions} and fills in the defaults.
 * @throws InvalidConfigError naming the first offending field (`VixEngine.panic.exit`…).
 */
export function resolveVixOptions(options?: VixEngineOptions): ResolvedVixOptions {
  const parsed = parseOptions(optionsSchema, options, 'VixEngine');
  const resolved = { ...parsed, maxLeadMs: parsed.maxLeadMs ?? parsed.scopeIdleMs / 6, maxLagMs: parsed.maxLagMs ?? parsed.scopeIdleMs / 6 };
  Object.freeze(resolved.elevated);
  Object.freeze(resolved.panic);
  return Object.freeze(resolved);
}
