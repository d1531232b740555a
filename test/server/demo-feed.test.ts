import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryPanicClock, VixCircuitBreaker, type GetTtlInput, type TtlDecision } from '../../src/index.js';
import { acceleratedTime } from '../../src/server/process/accelerated-time.js';
import { DemoFeed, demoRoundMs } from '../../src/server/process/demo-feed.js';
import { LocalVix } from '../../src/server/vix/local-vix.js';

const START = Date.parse('2026-05-01T18:00:00Z');
const MIN = 60_000;
const SCOPES = ['champions-league', 'premier-league', 'ligue-2'] as const;
const IMPORTANCES = ['high_stakes', 'medium_stakes', 'low_stakes'] as const;

interface Minute {
  minute: number;
  /** Tier per scope and importance, from that round's decisions. */
  tiers: Record<string, Record<string, number>>;
  /** The engine's status and index per scope after that round's ticks. */
  vix: Record<string, { status: string; index: number }>;
}

/**
 * Runs the demo minute by minute on an injected clock: the feed's ticks go to a real
 * engine publishing to a real memory clock, and its decisions (publisher mode) to a
 * real breaker on that clock.
 */
async function runDemo(minutes: number): Promise<{ timeline: Minute[]; inputs: GetTtlInput[]; local: LocalVix }> {
  let now = START;
  const clock = new MemoryPanicClock({ now: () => now });
  const local = new LocalVix({ clock, now: () => now, idleCheckMs: 0 });
  const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: () => now });
  const inputs: GetTtlInput[] = [];
  let round: Array<{ input: GetTtlInput; decision: TtlDecision }> = [];
  const feed = new DemoFeed({
    ticks: {
      ingest: async (ticks) => {
        local.ingestNow(ticks);
        await local.publisher!.idle(); // the publisher's write lands before the round's decisions
      },
    },
    breaker: {
      getTtl: async (input) => {
        const decision = await breaker.getTtl(input);
        inputs.push(input);
        round.push({ input, decision });
        return decision;
      },
    },
    now: () => now,
  });
  const timeline: Minute[] = [];
  for (let minute = 0; minute <= minutes; minute += 1) {
    now = START + minute * MIN;
    round = [];
    await feed.tick();
    const tiers: Minute['tiers'] = {};
    for (const { input, decision } of round) (tiers[input.scope!] ??= {})[decision.importance] = decision.tier;
    const vix: Minute['vix'] = {};
    for (const s of local.view().scopes) vix[s.scope] = { status: s.status, index: s.index };
    timeline.push({ minute, tiers, vix });
  }
  await local.close();
  await breaker.close();
  return { timeline, inputs, local };
}

/** The first minute at which `test` holds, or null. */
function firstMinute(timeline: Minute[], test: (m: Minute) => boolean, from = 0): number | null {
  return timeline.find((m) => m.minute >= from && test(m))?.minute ?? null;
}

describe('the demo feed: odds ticks drive the VIX engine, which publishes the panics the decisions read', () => {
  let timeline: Minute[];
  let inputs: GetTtlInput[];
  let local: LocalVix;
  beforeAll(async () => ({ timeline, inputs, local } = await runDemo(500)));

  it('sends decision traffic for every scope and importance, never with a vixStatus (publisher mode), and only valid ticks', () => {
    expect(inputs.length).toBeGreaterThan(500 * 9);
    expect(inputs.every((input) => !('vixStatus' in input))).toBe(true);
    for (const scope of SCOPES) for (const importance of IMPORTANCES) expect(timeline[5]!.tiers[scope]![importance]).toBe(0);
    expect(local.engine.stats()).toMatchObject({ rejected: 0 });
    expect(local.engine.stats().accepted).toBeGreaterThan(200_000);
  });

  it('the goal at minute 10 makes the engine panic the Champions League within a minute; high stakes then walk tiers 1 → 4 on the published start', () => {
    const tier = (minute: number) => timeline[minute]!.tiers['champions-league']!.high_stakes;
    expect(timeline[9]!.vix['champions-league']!.status).toBe('calm');
    expect(firstMinute(timeline, (m) => m.vix['champions-league']?.status === 'panic')).toBe(11);
    // The start is when the publisher wrote the panic (the round of minute 11): tier 2 at 60 minutes, 3 at 180, 4 at 360.
    expect([10, 11, 70, 71, 190, 191, 370, 371].map(tier)).toEqual([0, 1, 1, 2, 2, 3, 3, 4]);
    expect(timeline[100]!.vix['champions-league']!.index).toBeGreaterThan(4);
  });

  it('the Premier League panics 30 minutes later; Ligue 2 only gets elevated and never leaves tier 0', () => {
    expect(firstMinute(timeline, (m) => m.tiers['premier-league']!.medium_stakes === 1)).toBe(41);
    expect(firstMinute(timeline, (m) => m.tiers['premier-league']!.medium_stakes === 4)).toBe(41 + 180);
    expect(timeline.some((m) => m.vix['ligue-2']?.status === 'elevated' && m.minute > 120 && m.minute < 200)).toBe(true);
    expect(timeline.every((m) => m.vix['ligue-2']?.status !== 'panic')).toBe(true);
    expect(timeline.every((m) => IMPORTANCES.every((i) => m.tiers['ligue-2']![i] === 0))).toBe(true);
  });

  it('after minute 450 the engine calms, the publisher ends the panics (tier 0), and the next cycle panics again from tier 1', () => {
    const calmAt = firstMinute(timeline, (m) => m.tiers['champions-league']!.high_stakes === 0, 400)!;
    expect(calmAt).toBeGreaterThan(450);
    expect(calmAt).toBeLessThanOrEqual(455);
    expect(timeline[calmAt]!.vix['champions-league']!.status).toBe('calm');
    // One transition each way per scope and cycle: calm stays calm until the next goal (minute 480 + 10).
    expect(timeline.filter((m) => m.minute > calmAt && m.minute <= 490).every((m) => m.tiers['champions-league']!.high_stakes === 0)).toBe(true);
    expect(timeline[491]!.tiers['champions-league']!.high_stakes).toBe(1);
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

describe('the demo at any allowed speed feeds the engine ticks it takes', () => {
  /**
   * Rounds of a real feed and a real engine on a clock that runs `speed` × each round's real
   * interval, as `serve --demo` runs them (`late`: real ms by which given rounds come late, as
   * a busy event loop makes them); the engine's `stale_ts` refusals and the feed's decision
   * calls over `rounds`.
   */
  async function staleAt(speed: number, tickMs: number, rounds: number, options: { maxTickAgeMs?: number; late?: Record<number, number> } = {}): Promise<{ accepted: number; stale: number; skipped: number; decisions: number }> {
    let now = START;
    const local = new LocalVix({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, idleCheckMs: 0, maxTickAgeMs: options.maxTickAgeMs });
    let accepted = 0;
    let stale = 0;
    let decisions = 0;
    const feed = new DemoFeed({
      ticks: {
        ingest: async (ticks) => {
          const answer = local.ingestNow(ticks);
          accepted += answer.accepted;
          stale += answer.byReason.stale_ts ?? 0;
        },
      },
      breaker: {
        getTtl: async () => {
          decisions += 1;
          return {} as TtlDecision;
        },
      },
      now: () => now,
      tickMs,
      maxTickAgeMs: options.maxTickAgeMs,
    });
    for (let round = 0; round < rounds; round += 1) {
      now += (tickMs + (options.late?.[round] ?? 0)) * speed;
      await feed.tick();
    }
    await local.close();
    return { accepted, stale, skipped: feed.skippedLate, decisions };
  }

  it('a round spans at most 30 clock seconds (at most 100 at ×10,000): no tick of the feed is 5 clock minutes old when it arrives', async () => {
    expect([1, 120, 1_200, 10_000].map((speed) => demoRoundMs(speed))).toEqual([250, 250, 25, 10]);
    for (const speed of [120, 1_200, 10_000]) {
      const { accepted, stale } = await staleAt(speed, demoRoundMs(speed), 60);
      expect(stale, `×${speed}`).toBe(0);
      expect(accepted, `×${speed}`).toBeGreaterThan(100);
    }
  });

  it('with a round of 250 real ms at ×10,000 (42 clock minutes a round), most of its ticks would be too old: the feed skips them instead of handing them to the engine', async () => {
    const { accepted, stale, skipped } = await staleAt(10_000, 250, 10);
    expect(stale).toBe(0);
    expect(skipped).toBeGreaterThan(accepted);
  });

  it('a round that comes late (the event loop held 40 real ms at ×10,000: 400 clock seconds) hands the engine no tick it refuses as stale; the feed goes on', async () => {
    const late = { 20: 40, 40: 100 };
    const { accepted, stale, skipped } = await staleAt(10_000, demoRoundMs(10_000), 60, { late });
    expect(stale).toBe(0);
    expect(skipped).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(3_000);
  });

  it('a shorter --tick-max-age-ms shortens the round (a tenth of the age on the clock), and what is still too old is skipped, not refused', async () => {
    expect(demoRoundMs(120, 300_000)).toBe(250);
    expect(demoRoundMs(120, 60_000)).toBe(50);
    expect(demoRoundMs(10_000, 60_000)).toBe(10);
    for (const [speed, maxTickAgeMs] of [[120, 60_000], [1_200, 60_000], [10_000, 60_000], [10_000, 1_000], [120, 1_000]] as const) {
      const { accepted, stale } = await staleAt(speed, demoRoundMs(speed, maxTickAgeMs), 60, { maxTickAgeMs });
      expect(stale, `×${speed}, ${maxTickAgeMs} ms`).toBe(0);
      expect(accepted, `×${speed}, ${maxTickAgeMs} ms`).toBeGreaterThan(0);
    }
  });

  it('the decision traffic per real second is the same at every speed (9 to 27 calls every 250 real ms), not one burst per shorter round', async () => {
    const perRealSecond = async (speed: number) => {
      const tickMs = demoRoundMs(speed);
      const rounds = Math.round(10_000 / tickMs); // 10 real seconds
      return (await staleAt(speed, tickMs, rounds)).decisions / 10;
    };
    const atDefault = await perRealSecond(120);
    expect(atDefault).toBeGreaterThanOrEqual(4 * 9);
    expect(atDefault).toBeLessThanOrEqual(4 * 27);
    for (const speed of [1_200, 10_000]) {
      const rate = await perRealSecond(speed);
      expect(rate, `×${speed}`).toBeGreaterThanOrEqual(4 * 9);
      expect(rate, `×${speed}`).toBeLessThanOrEqual(4 * 27);
    }
  });
});

describe('a late round never makes the demo panic a scope its script keeps out of panic', () => {
  /**
   * Two cycles of the demo, rounds of 30 clock seconds as at ×120, on a real engine publishing to a real
   * clock and a real breaker; at cycle minute `lateAt` of each cycle one round comes `lateMs` (clock) late,
   * as when the event loop or the machine holds the process (400 clock seconds: 3.3 real s at ×120,
   * 40 real ms at ×10,000), so the feed skips the ticks that became too old.
   */
  async function lateRounds(lateAt: number, lateMs: number): Promise<{ statuses: Array<{ cycle: number; minute: number; status: string }>; tiers: number[]; skipped: number; transitions: Array<{ scope: string; to: string; minute: number }> }> {
    let now = START;
    const clock = new MemoryPanicClock({ now: () => now });
    const local = new LocalVix({ clock, now: () => now, idleCheckMs: 0 });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: () => now });
    const transitions: Array<{ scope: string; to: string; minute: number }> = [];
    local.engine.onTransition((t) => transitions.push({ scope: t.scope, to: t.to, minute: (t.ts - START) / MIN }));
    const tiers: number[] = [];
    const feed = new DemoFeed({
      ticks: {
        ingest: async (ticks) => {
          local.ingestNow(ticks);
          await local.publisher!.idle();
        },
      },
      breaker: {
        getTtl: async (input) => {
          const decision = await breaker.getTtl(input);
          if (input.scope === 'ligue-2') tiers.push(decision.tier);
          return decision;
        },
      },
      now: () => now,
    });
    const statuses: Array<{ cycle: number; minute: number; status: string }> = [];
    let late = new Set([lateAt, 480 + lateAt]);
    for (let t = 0; t <= 2 * 480 * MIN; ) {
      const due = [...late].find((m) => t >= m * MIN);
      t += 30_000 + (due === undefined ? 0 : lateMs);
      if (due !== undefined) late = new Set([...late].filter((m) => m !== due));
      now = START + t;
      await feed.tick();
      const minute = t / MIN;
      statuses.push({ cycle: Math.floor(minute / 480), minute: minute % 480, status: local.engine.status('ligue-2') });
    }
    await local.close();
    await breaker.close();
    return { statuses, tiers, skipped: feed.skippedLate, transitions };
  }

  it('a round 400 clock seconds late in Ligue 2’s nervous stretch (minute 150 of the first and the second cycle): Ligue 2 stays elevated, never panics, its decisions stay at tier 0', async () => {
    const { statuses, tiers, skipped, transitions } = await lateRounds(150, 400_000);
    expect(skipped).toBeGreaterThan(1_000); // the late rounds did cost the feed ticks (those of 130 clock seconds, 18 markets)
    expect(transitions.filter((t) => t.scope === 'ligue-2' && t.to === 'panic')).toEqual([]);
    expect(statuses.filter((s) => s.status === 'panic')).toEqual([]);
    expect(tiers.length).toBeGreaterThan(1_000);
    expect(tiers.every((tier) => tier === 0)).toBe(true);
    // The script still shows: Ligue 2 elevated in its nervous stretch of both cycles, right after the late round too.
    for (const cycle of [0, 1]) {
      const stretch = statuses.filter((s) => s.cycle === cycle && s.minute > 160 && s.minute < 195);
      expect(stretch.length, `cycle ${cycle}`).toBeGreaterThan(40);
      expect(stretch.every((s) => s.status === 'elevated'), `cycle ${cycle}`).toBe(true);
    }
    // And the goals still make the engine panic the Champions League and the Premier League in both cycles.
    for (const scope of ['champions-league', 'premier-league']) expect(transitions.filter((t) => t.scope === scope && t.to === 'panic').length, scope).toBe(2);
  });

  it('late rounds in calm stretches and around the start of the second cycle (minutes 300 and 478): no panic of Ligue 2 either', async () => {
    for (const lateAt of [300, 478]) {
      const { transitions, skipped } = await lateRounds(lateAt, 400_000);
      expect(skipped, `minute ${lateAt}`).toBeGreaterThan(1_000);
      expect(transitions.filter((t) => t.scope === 'ligue-2' && t.to === 'panic'), `minute ${lateAt}`).toEqual([]);
    }
  });
});
