import type { GetTtlInput } from '../../breaker/vix-circuit-breaker.js';
import { IMPORTANCES } from '../../policy/importance.js';
import type { TtlDecision } from '../../policy/ttl-decision.js';
import { SeededRandom } from '../../vix/seeded-random.js';
import { simulateTicks, type SimulatedEvent, type SimulatedRecord } from '../../vix/simulate-ticks.js';
import type { VixReading } from '../vix/vix-source.js';

/** One scope of the demo: when (in clock minutes of each cycle) its market is shaken. */
export interface DemoScope {
  scope: string;
  /** Windows `[fromMin, untilMin)`: a goal at `fromMin` (prices jump, returns ×12 for 3 min), then returns ×5 until `untilMin`. The engine should panic. */
  panics: ReadonlyArray<readonly [number, number]>;
  /** Windows of returns ×1.6: a nervous market the engine should call elevated, not panic. */
  elevated?: ReadonlyArray<readonly [number, number]> | undefined;
}

/** Where decisions go; a `VixCircuitBreaker` fits. */
export interface DecisionTaker {
  getTtl(input: GetTtlInput): Promise<TtlDecision>;
}

/** Where the ticks go; a {@link LocalVix} (or any `VixSource`) fits. */
export interface TickSink {
  ingest(ticks: readonly unknown[]): unknown;
}

/** Options of {@link DemoFeed}. */
export interface DemoFeedOptions {
  /** The VIX engine the odds ticks feed. */
  ticks: TickSink;
  /** Takes the demo's decision traffic, in publisher mode (no `vixStatus`). */
  breaker: DecisionTaker;
  /** The (accelerated) clock the scenario and the ticks' timestamps run on, in ms. */
  now: () => number;
  /** Seed of the odds and of the traffic; cycle `n` uses `seed + n`. Default 2024. */
  seed?: number | undefined;
  /** Real ms between two rounds when started with {@link DemoFeed.start}. Default 250 ({@link demoRoundMs} at ×120). */
  tickMs?: number | undefined;
  /**
   * The engine's `maxTickAgeMs` (clock ms): a tick more than nine tenths of it old when its round
   * comes (a late round: a busy event loop, a GC pause) is skipped, not handed to the engine
   * to refuse as `stale_ts`. Default 300,000, the engine's.
   */
  maxTickAgeMs?: number | undefined;
  /** Length of one scenario cycle in clock minutes; it then starts over. Default 480. */
  cycleMin?: number | undefined;
  scopes?: readonly DemoScope[] | undefined;
  /** Markets per scope. Default 6. */
  markets?: number | undefined;
  /** Mean clock time between two ticks of one market, ms. Default 2,000. */
  meanGapMs?: number | undefined;
  /** Called when a decision or an ingestion fails (it should not); default: ignored. */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * A goal in the Champions League at minute 10 that leaves the market nervous long
 * enough for high stakes to reach tier 4 (360 min), one in the Premier League 30
 * minutes later, and a Ligue 2 market that only gets nervous. At ×120 a cycle takes
 * four real minutes.
 */
export const DEFAULT_DEMO_SCOPES: readonly DemoScope[] = [
  { scope: 'champions-league', panics: [[10, 450]] },
  { scope: 'premier-league', panics: [[40, 450]] },
  { scope: 'ligue-2', panics: [], elevated: [[120, 200]] },
];

const MINUTE = 60_000;
const GOAL_MIN = 3;
/** The engine's default `maxTickAgeMs`: it refuses a tick 5 clock minutes old (`stale_ts`). */
const DEFAULT_MAX_TICK_AGE_MS = 300_000;
/** Real ms between two rounds of the demo's decision traffic, whatever the speed: the rate a dashboard shows stays that of ×120. */
const DECISION_ROUND_MS = 250;

/**
 * Real ms between two rounds of the demo at `speed` (its clock's ms per real ms): a round
 * carries the ticks of the clock time since the last one, and the engine refuses a tick
 * `maxTickAgeMs` old (`stale_ts`, 5 clock minutes by default), so a round spans at most a
 * tenth of it (30 clock seconds: 250 ms at ×120; 25 ms at ×1,200), and never less than
 * 10 real ms (100 clock seconds at ×10,000; the feed skips what a round brings too old).
 */
export function demoRoundMs(speed: number, maxTickAgeMs = DEFAULT_MAX_TICK_AGE_MS): number {
  return Math.max(10, Math.min(DECISION_ROUND_MS, Math.floor(maxTickAgeMs / 10 / speed)));
}

/**
 * The demo's odds feed: seeded odds ticks ({@link simulateTicks}) on the injected
 * (accelerated) clock go to the VIX engine, which decides when each scope panics and
 * publishes it to the panic clock; every round also sends `getTtl` traffic for the
 * three importances *without* `vixStatus`, so the decisions read the published
 * status (publisher mode), as workers would. Nothing here says "panic": the engine does.
 */
export class DemoFeed {
  readonly #sink: TickSink;
  readonly #breaker: DecisionTaker;
  readonly #now: () => number;
  readonly #seed: number;
  readonly #random: SeededRandom;
  readonly #tickMs: number;
  readonly #maxTickAgeMs: number;
  /** Decision traffic goes out every this many rounds: every {@link DECISION_ROUND_MS} real ms, however short a round is. */
  readonly #decisionEvery: number;
  #round = 0;
  #skipped = 0;
  readonly #cycleMs: number;
  readonly #scopes: readonly DemoScope[];
  readonly #markets: number;
  readonly #meanGapMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #originMs: number;
  #cycle = -1;
  #source: Iterator<SimulatedRecord> | null = null;
  #next: Record<string, unknown> | null = null;
  /** Markets (of the current and the previous cycle) that lost ticks to a late round since their last tick went out. */
  readonly #lostTicks = new Set<string>();
  /** How many times a market lost ticks: its ticks go out under a new name each time (see {@link DemoFeed.tick}). */
  readonly #restarts = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;

  constructor(options: DemoFeedOptions) {
    this.#sink = options.ticks;
    this.#breaker = options.breaker;
    this.#now = options.now;
    this.#seed = options.seed ?? 2024;
    this.#random = new SeededRandom(this.#seed);
    this.#tickMs = options.tickMs ?? DECISION_ROUND_MS;
    this.#maxTickAgeMs = options.maxTickAgeMs ?? DEFAULT_MAX_TICK_AGE_MS;
    this.#decisionEvery = Math.max(1, Math.round(DECISION_ROUND_MS / this.#tickMs));
    this.#cycleMs = (options.cycleMin ?? 480) * MINUTE;
    this.#scopes = options.scopes ?? DEFAULT_DEMO_SCOPES;
    this.#markets = options.markets ?? 6;
    this.#meanGapMs = options.meanGapMs ?? 2000;
    this.#onError = options.onError ?? (() => {});
    this.#originMs = this.#now();
  }

  /** The scopes the feed drives. */
  get scopes(): string[] {
    return this.#scopes.map((s) => s.scope);
  }

  /** Minutes into the current cycle, on the feed's clock. */
  cycleMinute(): number {
    return ((this.#now() - this.#originMs) % this.#cycleMs) / MINUTE;
  }

  /** What the scenario does to a scope's market right now (the engine, not this, decides the status). */
  status(scope: string): VixReading['status'] {
    const spec = this.#scopes.find((s) => s.scope === scope);
    if (!spec) return 'calm';
    const minute = this.cycleMinute();
    const inside = (windows: ReadonlyArray<readonly [number, number]> | undefined) => (windows ?? []).some(([from, until]) => minute >= from && minute < until);
    if (inside(spec.panics)) return 'panic';
    return inside(spec.elevated) ? 'elevated' : 'calm';
  }

  /** Ticks skipped because their round came too late for the engine to take them (more than nine tenths of `maxTickAgeMs` old). */
  get skippedLate(): number {
    return this.#skipped;
  }

  /**
   * One round: the ticks up to now go to the engine, then (every {@link DECISION_ROUND_MS} real ms) the decision traffic.
   * A market that lost ticks to a late round goes on under a new name (`…~r1`, `…~r2`): the engine starts it afresh.
   * Under its old name, its next price would be one return spanning every move it lost (the walk went on meanwhile),
   * ten times a calm one or more, in all the scope's markets at once: a panic the scenario does not contain (Ligue 2
   * panicked whenever a round came late in its nervous stretch).
   */
  async tick(): Promise<void> {
    const oldest = () => this.#now() - this.#maxTickAgeMs * 0.9;
    // A late round brings many ticks too old to take: they are passed over, not collected.
    const batch = this.#ticksUntil(this.#now(), oldest());
    // Read the clock again (simulating a round, a new cycle's start above all, takes real ms that are
    // clock minutes at ×10,000); the engine reads it microseconds later: a tenth of the age is margin enough.
    const notBefore = oldest();
    const fresh: Array<Record<string, unknown>> = [];
    for (const tick of batch) {
      if ((tick.ts as number) >= notBefore) fresh.push(this.#named(tick));
      else this.#lose(tick);
    }
    try {
      if (fresh.length > 0) await this.#sink.ingest(fresh);
    } catch (error) {
      this.#onError(error);
    }
    this.#round += 1;
    if ((this.#round - 1) % this.#decisionEvery !== 0) return;
    const calls: Array<Promise<unknown>> = [];
    for (const { scope } of this.#scopes) {
      for (const importance of IMPORTANCES) {
        const requests = 1 + Math.floor(this.#random.next() * 3);
        for (let i = 0; i < requests; i += 1) calls.push(this.#breaker.getTtl({ baseTtl: 60, match: { importance }, scope }).catch(this.#onError));
      }
    }
    await Promise.all(calls);
  }

  /** Ticks every `tickMs` until {@link stop}; a slow round is never overlapped. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = this.tick().finally(() => {
        this.#ticking = null;
      });
    }, this.#tickMs);
  }

  /** Stops ticking and waits for the round under way. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#ticking;
  }

  /** The simulated ticks with a timestamp at or before `untilMs` and not before `notBeforeMs` (those are counted as skipped), across cycles. */
  #ticksUntil(untilMs: number, notBeforeMs: number): Array<Record<string, unknown>> {
    const batch: Array<Record<string, unknown>> = [];
    for (;;) {
      const next = this.#peek(untilMs);
      if (next === null || (next.ts as number) > untilMs) return batch;
      if ((next.ts as number) >= notBeforeMs) batch.push(next);
      else this.#lose(next);
      this.#next = null;
    }
  }

  #peek(untilMs: number): Record<string, unknown> | null {
    while (this.#next === null) {
      const record = this.#source?.next();
      if (record && !record.done) {
        this.#next = { ...(record.value.tick as Record<string, unknown>), market: `${(record.value.tick as { market: string }).market}~c${this.#cycle}` };
        break;
      }
      const nextStartMs = this.#originMs + (this.#cycle + 1) * this.#cycleMs;
      if (nextStartMs > untilMs) return null;
      this.#cycle += 1;
      this.#forgetCycle(`~c${this.#cycle - 2}`); // its markets tick no more (a batch may still hold the previous cycle's)
      this.#source = this.#cycleTicks(this.#cycle, nextStartMs);
    }
    return this.#next;
  }

  /** A tick skipped as too old: its market lost a move the engine will not see. */
  #lose(tick: Record<string, unknown>): void {
    this.#skipped += 1;
    this.#lostTicks.add(tick.market as string);
  }

  /** The tick as it goes out: under a new name of its market when the market lost ticks since its last one went out. */
  #named(tick: Record<string, unknown>): Record<string, unknown> {
    const market = tick.market as string;
    if (this.#lostTicks.delete(market)) this.#restarts.set(market, (this.#restarts.get(market) ?? 0) + 1);
    const restarts = this.#restarts.get(market);
    return restarts === undefined ? tick : { ...tick, market: `${market}~r${restarts}` };
  }

  /** Drops what the feed remembers of the markets of a cycle (names ending in `suffix`): both tables stay as small as two cycles' markets. */
  #forgetCycle(suffix: string): void {
    for (const market of this.#lostTicks) if (market.endsWith(suffix)) this.#lostTicks.delete(market);
    for (const market of this.#restarts.keys()) if (market.endsWith(suffix)) this.#restarts.delete(market);
  }

  /** One cycle of the scenario as a seeded tick stream; markets are named per cycle, so no return spans two cycles. */
  #cycleTicks(cycle: number, startMs: number): Iterator<SimulatedRecord> {
    const events: SimulatedEvent[] = this.#scopes.flatMap(({ scope, panics, elevated }) => [
      ...panics.flatMap(([from, until]) => [
        { scope, atMs: from * MINUTE, durationMs: (until - from) * MINUTE, volatility: 5 },
        { scope, atMs: from * MINUTE, durationMs: GOAL_MIN * MINUTE, volatility: 12, jump: 0.25 },
      ]),
      ...(elevated ?? []).map(([from, until]) => ({ scope, atMs: from * MINUTE, durationMs: (until - from) * MINUTE, volatility: 1.6 })),
    ]);
    const scopes = this.#scopes.map(({ scope }) => ({ scope, markets: this.#markets, meanGapMs: this.#meanGapMs }));
    return simulateTicks({ seed: this.#seed + cycle, startMs, durationMs: this.#cycleMs, scopes, events });
  }
}
