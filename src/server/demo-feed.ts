import type { GetTtlInput } from '../breaker/vix-circuit-breaker.js';
import type { Importance } from '../policy/importance.js';
import type { TtlDecision } from '../policy/ttl-decision.js';
import type { VixReading } from './service-state.js';

/** One scope of the demo: when (in clock minutes of each cycle) its market panics. */
export interface DemoScope {
  scope: string;
  /** Panic windows `[fromMin, untilMin)` within a cycle; outside them the market is calm. */
  panics: ReadonlyArray<readonly [number, number]>;
  /** Windows where the market is nervous but not panicking. */
  elevated?: ReadonlyArray<readonly [number, number]>;
}

/** Where decisions go; a `VixCircuitBreaker` fits. */
export interface DecisionTaker {
  getTtl(input: GetTtlInput): Promise<TtlDecision>;
}

/** Options of {@link DemoFeed}. */
export interface DemoFeedOptions {
  breaker: DecisionTaker;
  /** The (accelerated) clock the scenario runs on, in ms. */
  now: () => number;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Real ms between ticks when started with {@link DemoFeed.start}. Default 250. */
  tickMs?: number;
  /** Length of one scenario cycle in clock minutes; it then starts over. Default 480. */
  cycleMin?: number;
  scopes?: readonly DemoScope[];
  /** Called when a decision fails (it should not); default: ignored. */
  onError?: (error: unknown) => void;
}

/**
 * A short calm, then a Champions League panic that lasts long enough for high
 * stakes to reach tier 4 (360 min), a Premier League panic 30 minutes later, and a
 * Ligue 2 market that only gets nervous. At ×120 a cycle takes four real minutes.
 */
export const DEFAULT_DEMO_SCOPES: readonly DemoScope[] = [
  { scope: 'champions-league', panics: [[10, 450]] },
  { scope: 'premier-league', panics: [[40, 450]] },
  { scope: 'ligue-2', panics: [], elevated: [[120, 200]] },
];

const IMPORTANCES: readonly Importance[] = ['high_stakes', 'medium_stakes', 'low_stakes'];
const WINDOW = 30;

interface Market {
  odds: number;
  returns: number[];
}

/**
 * A simulated odds feed for the demo: per scope, odds follow a random walk whose
 * volatility jumps during the scenario's panics; a small volatility index is
 * computed from them, and every tick sends `getTtl` traffic for the three
 * importances with the scope's status. Self-contained, on an injected time source,
 * so the VIX engine can later drive the statuses instead.
 */
export class DemoFeed {
  readonly #breaker: DecisionTaker;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #tickMs: number;
  readonly #cycleMin: number;
  readonly #scopes: readonly DemoScope[];
  readonly #onError: (error: unknown) => void;
  readonly #markets = new Map<string, Market>();
  readonly #originMs: number;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;

  constructor(options: DemoFeedOptions) {
    this.#breaker = options.breaker;
    this.#now = options.now;
    this.#random = options.random ?? Math.random;
    this.#tickMs = options.tickMs ?? 250;
    this.#cycleMin = options.cycleMin ?? 480;
    this.#scopes = options.scopes ?? DEFAULT_DEMO_SCOPES;
    this.#onError = options.onError ?? (() => {});
    this.#originMs = this.#now();
    for (const { scope } of this.#scopes) this.#markets.set(scope, { odds: 2 + this.#random(), returns: [] });
  }

  /** The scopes the feed drives. */
  get scopes(): string[] {
    return this.#scopes.map((s) => s.scope);
  }

  /** Minutes into the current cycle, on the feed's clock. */
  cycleMinute(): number {
    return ((this.#now() - this.#originMs) / 60_000) % this.#cycleMin;
  }

  /** The market status the scenario gives a scope right now. */
  status(scope: string): VixReading['status'] {
    const spec = this.#scopes.find((s) => s.scope === scope);
    if (!spec) return 'calm';
    const minute = this.cycleMinute();
    const inside = (windows: ReadonlyArray<readonly [number, number]> | undefined) => (windows ?? []).some(([from, until]) => minute >= from && minute < until);
    if (inside(spec.panics)) return 'panic';
    return inside(spec.elevated) ? 'elevated' : 'calm';
  }

  /** The simulated VIX of a scope (stdev of its last 30 odds log-returns × 1000: about 4 calm, 50 in a panic), or null for a scope the feed does not drive. */
  vix(scope: string): VixReading | null {
    const market = this.#markets.get(scope);
    if (!market) return null;
    return { index: Math.round(stdev(market.returns) * 10_000) / 10, status: this.status(scope) };
  }

  /** One tick: moves every market and sends its traffic. */
  async tick(): Promise<void> {
    const calls: Array<Promise<unknown>> = [];
    for (const { scope } of this.#scopes) {
      const status = this.status(scope);
      this.#move(this.#markets.get(scope)!, status);
      for (const importance of IMPORTANCES) {
        const requests = 1 + Math.floor(this.#random() * 3);
        for (let i = 0; i < requests; i += 1) {
          calls.push(this.#breaker.getTtl({ baseTtl: 60, vixStatus: status, match: { importance }, scope }).catch(this.#onError));
        }
      }
    }
    await Promise.all(calls);
  }

  /** Ticks every `tickMs` until {@link stop}; a slow tick is never overlapped. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = this.tick().finally(() => {
        this.#ticking = null;
      });
    }, this.#tickMs);
  }

  /** Stops ticking and waits for the tick under way. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#ticking;
  }

  #move(market: Market, status: VixReading['status']): void {
    const sigma = status === 'panic' ? 0.05 : status === 'elevated' ? 0.02 : 0.004;
    const shock = (this.#random() + this.#random() + this.#random() - 1.5) * 2 * sigma;
    const next = Math.min(50, Math.max(1.01, market.odds * (1 + shock)));
    market.returns.push(Math.log(next / market.odds));
    if (market.returns.length > WINDOW) market.returns.shift();
    market.odds = next;
  }
}

function stdev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1));
}
