import { SeededRandom } from './seeded-random.js';
import type { RejectReason, Tick } from './tick.js';

/** One group of markets ticking together (a match). */
export interface SimulatedScope {
  /** Scope name written on each tick; omit for ticks without a scope (global only). */
  scope?: string | undefined;
  /** How many markets (1X2, over/under…). */
  markets: number;
  /** Mean time between two ticks of one market, ms (exponential gaps). */
  meanGapMs: number;
}

/** A stretch of unusual volatility in one scope (or all): a goal, a red card, a nervous evening. */
export interface SimulatedEvent {
  /** The scope it hits; omit for every scope. */
  scope?: string | undefined;
  /** Start, ms after the simulation's start. */
  atMs: number;
  durationMs: number;
  /** Multiplies the per-tick standard deviation of log returns (10 = "returns ×10"). */
  volatility: number;
  /** A one-off move of the log implied probability of each market at `atMs` (a goal), random sign. Default 0. */
  jump?: number | undefined;
  /** Multiplies the tick rate during the event. Default 1. */
  tickRate?: number | undefined;
}

/** A bad tick the simulator can slip in, named after the engine's reason for it. */
export type SimulatedBadTick = Exclude<RejectReason, 'too_many_scopes' | 'future_ts' | 'stale_ts'> | 'nan_price';

/** Options of {@link simulateTicks}. */
export interface SimulationOptions {
  seed: number;
  /** Epoch ms of the start. */
  startMs: number;
  durationMs: number;
  scopes: SimulatedScope[];
  /** Standard deviation of one tick's log implied-probability return in calm. Default 0.004. */
  sigma?: number | undefined;
  events?: SimulatedEvent[] | undefined;
  /** Slip in one bad tick after every `every` good ones, cycling through `kinds`. */
  badTicks?: { every: number; kinds: SimulatedBadTick[] } | undefined;
  /** Decimals of the price. Default 3. */
  decimals?: number | undefined;
}

/** One record of a simulated feed: the tick as a feed would send it, and why it is bad if it is. */
export interface SimulatedRecord {
  tick: Record<string, unknown> | unknown[];
  /** The engine's reason for a planted bad tick; absent for a good one. */
  bad?: RejectReason;
}

interface MarketWalk {
  id: string;
  scope: SimulatedScope;
  lnP: number;
  nextMs: number;
}

const LN_P_MAX = Math.log(0.97);
const LN_P_MIN = Math.log(0.02);

/**
 * A seeded odds feed: each market's implied probability follows a random walk in log
 * space, ticking at exponential intervals; events raise the volatility (and jump the
 * prices) of a scope for a while. Same options and seed, same ticks. It feeds the
 * examples, the tests and the benchmark, and can drive a demo.
 */
export function* simulateTicks(options: SimulationOptions): Generator<SimulatedRecord> {
  const random = new SeededRandom(options.seed);
  const sigma = options.sigma ?? 0.004;
  const decimals = options.decimals ?? 3;
  const events = options.events ?? [];
  const endMs = options.startMs + options.durationMs;
  const markets: MarketWalk[] = options.scopes.flatMap((scope, s) =>
    Array.from({ length: scope.markets }, (_, m) => ({
      id: `${scope.scope ?? `feed-${s}`}/m${m + 1}`,
      scope,
      lnP: Math.log(random.between(0.12, 0.75)),
      nextMs: options.startMs + Math.round(random.exponential(scope.meanGapMs)),
    })),
  );
  const jumped = new Set<string>();
  let good = 0;
  let badIndex = 0;
  for (;;) {
    const market = earliest(markets);
    if (!market || market.nextMs >= endMs) return;
    const ts = market.nextMs;
    const offset = ts - options.startMs;
    const active = events.filter((e) => (e.scope === undefined || e.scope === market.scope.scope) && offset >= e.atMs && offset < e.atMs + e.durationMs);
    const volatility = active.reduce((v, e) => Math.max(v, e.volatility), 1);
    for (const event of active) {
      const key = `${events.indexOf(event)}|${market.id}`;
      if (event.jump && !jumped.has(key)) {
        jumped.add(key);
        market.lnP += event.jump * (random.next() < 0.5 ? -1 : 1);
      }
    }
    market.lnP = reflect(market.lnP + sigma * volatility * random.normal());
    const tick: Tick = { ts, market: market.id, price: Number((1 / Math.exp(market.lnP)).toFixed(decimals)) };
    if (market.scope.scope !== undefined) tick.scope = market.scope.scope;
    const rate = active.reduce((r, e) => Math.max(r, e.tickRate ?? 1), 1);
    market.nextMs = ts + Math.max(1, Math.round(random.exponential(market.scope.meanGapMs / rate)));
    yield { tick: { ...tick } };
    good += 1;
    const plan = options.badTicks;
    if (plan && plan.kinds.length > 0 && good % plan.every === 0) {
      yield badTick(plan.kinds[badIndex % plan.kinds.length]!, tick);
      badIndex += 1;
    }
  }
}

/** A bad version of `tick` of the given kind. */
function badTick(kind: SimulatedBadTick, tick: Tick): SimulatedRecord {
  switch (kind) {
    case 'malformed':
      return { tick: [tick.ts, tick.market, tick.price], bad: 'malformed' };
    case 'missing_field':
      return { tick: { ts: tick.ts, market: tick.market, scope: tick.scope }, bad: 'missing_field' };
    case 'bad_market':
      return { tick: { ...tick, market: 42 }, bad: 'bad_market' };
    case 'bad_price':
      return { tick: { ...tick, price: 0.87 }, bad: 'bad_price' };
    case 'nan_price':
      return { tick: { ...tick, price: Number.NaN }, bad: 'bad_price' };
    case 'bad_ts':
      return { tick: { ...tick, ts: 'half past nine' }, bad: 'bad_ts' };
    case 'bad_scope':
      return { tick: { ...tick, scope: 'not a scope!' }, bad: 'bad_scope' };
    case 'out_of_order':
      return { tick: { ...tick, ts: (tick.ts as number) - 1 }, bad: 'out_of_order' };
    case 'duplicate':
      return { tick: { ...tick }, bad: 'duplicate' };
  }
}

function earliest(markets: MarketWalk[]): MarketWalk | undefined {
  let best: MarketWalk | undefined;
  for (const market of markets) if (!best || market.nextMs < best.nextMs) best = market;
  return best;
}

/** Keeps a log probability between 2 % and 97 % by reflecting at the bounds. */
function reflect(lnP: number): number {
  if (lnP > LN_P_MAX) return 2 * LN_P_MAX - lnP;
  if (lnP < LN_P_MIN) return 2 * LN_P_MIN - lnP;
  return lnP;
}
