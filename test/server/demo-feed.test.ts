import { describe, expect, it } from 'vitest';
import { MemoryPanicClock, VixCircuitBreaker, type GetTtlInput, type TtlDecision } from '../../src/index.js';
import { acceleratedTime } from '../../src/server/accelerated-time.js';
import { DemoFeed } from '../../src/server/demo-feed.js';

const START = Date.parse('2026-05-01T18:00:00Z');
const MIN = 60_000;

/** A seeded random source, so the feed's traffic and odds are the same on every run. */
function seeded(seed = 42): () => number {
  let state = seed;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) % 4_294_967_296;
    return state / 4_294_967_296;
  };
}

function recordingFeed() {
  let now = START;
  const clock = new MemoryPanicClock({ now: () => now });
  const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: () => now });
  const decisions: Array<{ input: GetTtlInput; decision: TtlDecision }> = [];
  const feed = new DemoFeed({
    breaker: { getTtl: async (input) => {
      const decision = await breaker.getTtl(input);
      decisions.push({ input, decision });
      return decision;
    } },
    now: () => now,
    random: seeded(),
  });
  /** Moves the feed's clock to `minute` of the scenario and ticks once; returns that tick's decisions. */
  const at = async (minute: number) => {
    now = START + minute * MIN;
    decisions.length = 0;
    await feed.tick();
    return [...decisions];
  };
  const tierOf = (list: typeof decisions, scope: string, importance: string) => {
    const tiers = new Set(list.filter((d) => d.input.scope === scope && d.decision.importance === importance).map((d) => d.decision.tier));
    expect(tiers.size).toBe(1);
    return [...tiers][0];
  };
  return { feed, at, tierOf };
}

describe('the demo odds feed', () => {
  it('starts calm, then walks the Champions League panic from tier 1 to tier 4 for high stakes by minute 370', async () => {
    const { feed, at, tierOf } = recordingFeed();
    const calm = await at(5);
    expect(calm.length).toBeGreaterThanOrEqual(9); // three scopes × three importances, 1–3 requests each
    expect(calm.every((d) => d.decision.tier === 0 && d.input.vixStatus === 'calm')).toBe(true);

    const start = await at(10);
    expect(tierOf(start, 'champions-league', 'high_stakes')).toBe(1);
    expect(tierOf(start, 'premier-league', 'medium_stakes')).toBe(0);
    expect(feed.status('champions-league')).toBe('panic');

    const sequence: number[] = [];
    for (const minute of [69, 70, 189, 190, 369, 370]) sequence.push(tierOf(await at(minute), 'champions-league', 'high_stakes')!);
    expect(sequence).toEqual([1, 2, 2, 3, 3, 4]);

    const late = await at(370);
    // The Premier League panic started at minute 40: 330 minutes old.
    expect(tierOf(late, 'premier-league', 'high_stakes')).toBe(3);
    expect(tierOf(late, 'premier-league', 'medium_stakes')).toBe(4);
    expect(tierOf(late, 'ligue-2', 'low_stakes')).toBe(0);
  });

  it('ends the panics after minute 450 and starts the next cycle at tier 1 again', async () => {
    const { at, tierOf } = recordingFeed();
    await at(10);
    await at(449);
    expect(tierOf(await at(455), 'champions-league', 'high_stakes')).toBe(0);
    expect(tierOf(await at(480 + 10), 'champions-league', 'high_stakes')).toBe(1);
  });

  it('computes a higher VIX during a panic than in calm, from the simulated odds', async () => {
    const { feed, at } = recordingFeed();
    for (let minute = 0; minute < 10; minute += 0.25) await at(minute);
    const calm = feed.vix('champions-league')!;
    for (let minute = 10; minute < 20; minute += 0.25) await at(minute);
    const panic = feed.vix('champions-league')!;
    expect(calm.status).toBe('calm');
    expect(panic.status).toBe('panic');
    expect(panic.index).toBeGreaterThan(calm.index * 3);
    expect(feed.vix('not-a-demo-scope')).toBeNull();
  });
});

describe('the accelerated clock', () => {
  it('runs `speed` times faster than its base from the moment it is made', () => {
    let real = 1_000_000;
    const fast = acceleratedTime(120, () => real);
    expect(fast()).toBe(1_000_000);
    real += 3 * MIN;
    expect(fast()).toBe(1_000_000 + 360 * MIN);
    expect(acceleratedTime(1, () => real)()).toBe(real);
    expect(() => acceleratedTime(0)).toThrow(/speed must be/);
  });
});
