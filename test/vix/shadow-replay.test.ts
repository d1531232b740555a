import { describe, expect, it } from 'vitest';
import { IMPORTANCES, VixReplay, type ReplayPanic } from '../../src/index.js';
import { readTickFile, tickFileFormat } from '../../src/vix/tick-file.js';
import { ShadowReplay, type ShadowReplayResult } from '../../src/vix/shadow-replay.js';
import { cli } from '../cli/run-cli.js';

/** Replays a tick file through a VixReplay and a ShadowReplay following its engine, as `replay --shadow` does. */
async function replayWithShadow(file: string, baseTtl = 60) {
  const replay = new VixReplay({ baseTtl });
  const shadow = new ShadowReplay({ engine: replay.engine, baseTtl });
  for await (const record of readTickFile(file, tickFileFormat(file)!)) {
    replay.ingest(record);
    await shadow.sample();
  }
  await shadow.close();
  return { result: replay.result(), shadow: shadow.result() };
}

/** Minutes each tier lasted in a panic's timeline for one importance (tier 0 after its end not counted). */
function tierMinutes(panic: ReplayPanic, importance: (typeof IMPORTANCES)[number], untilTs: number): number[] {
  const minutes = [0, 0, 0, 0, 0];
  const steps = panic.tiers[importance];
  steps.forEach((step, i) => {
    if (step.tier === 0) return;
    const end = steps[i + 1]?.ts ?? panic.endTs ?? untilTs;
    minutes[step.tier]! += (end - step.ts) / 60_000;
  });
  return minutes;
}

describe('replay --shadow: what a service in shadow mode would have reported for a tick file', () => {
  it('volatile-evening (one 117-minute panic in om-ol): the fresher minutes per tier are the tier timeline the replay shows, per importance', async () => {
    const { result, shadow } = await replayWithShadow('examples/volatile-evening.csv');
    const scope = result.scopes.find((s) => s.scope === 'om-ol')!;
    expect(scope.panics).toHaveLength(1);
    const panic = scope.panics[0]!;
    // One decision a second: each tier boundary is met within a second of tick time (1/60 min), and each of the
    // panic's two ends too.
    const within = 3 / 60;
    for (const importance of IMPORTANCES) {
      const timeline = tierMinutes(panic, importance, result.untilTs!);
      const reported = shadow.byImportance[importance];
      for (const tier of [1, 2, 3, 4]) expect(Math.abs(reported.fresherMinByTier[tier]! - timeline[tier]!), `${importance} tier ${tier}`).toBeLessThan(within);
      expect(Math.abs(reported.freshMin - timeline[1]!)).toBeLessThan(within);
      expect(Math.abs(reported.fresherMin - panic.durationMin)).toBeLessThan(within);
    }
    expect(shadow.byImportance.high_stakes.freshMin).toBeCloseTo(60, 1);
    expect(shadow.byImportance.low_stakes.fresherMinByTier[4]).toBeGreaterThan(26); // 45 s < 60 s: still fresher
    expect(shadow.totals.filter((t) => t.outcome === 'staler')).toEqual([]);
  });

  it('a base TTL of 20 s: tiers whose TTL reaches it are the same, not fresher', async () => {
    const { shadow } = await replayWithShadow('examples/volatile-evening.csv', 20);
    const low = shadow.byImportance.low_stakes;
    expect(low.fresherMinByTier[3]).toBe(0); // low stakes tier 3 is 20 s
    expect(low.fresherMinByTier[4]).toBe(0); // 45 s, capped at 20
    expect(low.fresherMinByTier[2]).toBeGreaterThan(29);
    expect(shadow.totals.find((t) => t.importance === 'low_stakes' && t.tier === 3)).toMatchObject({ outcome: 'same', ttlDifferenceSeconds: 0 });
  });

  it('a calm file: every decision the same, nothing fresher', async () => {
    const { shadow } = await replayWithShadow('examples/calm-day.csv');
    expect(shadow.decisions).toBeGreaterThan(1000);
    expect(Object.values(shadow.byImportance).map((s) => s.fresherMin)).toEqual([0, 0, 0]);
    expect(new Set(shadow.totals.map((t) => `${t.tier}/${t.outcome}`))).toEqual(new Set(['0/same']));
  });

  it('the command prints the minutes and the vix_ttl_shadow_* totals; --json has them under shadow (null without --shadow)', async () => {
    const text = await cli(['replay', 'examples/goal-shock.jsonl', '--shadow']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('shadow mode at base TTL 60 s');
    expect(text.out).toContain('medium_stakes: vix-ttl would have served fresh data (TTL 0) for 4.9 min, and fresher data for 4.9 min in all, where 60-second-old data was served');
    expect(text.out).toMatch(/\{importance="medium_stakes",tier="1",outcome="fresher"\}\s+\d+\s+\d+\s+29\d/);
    const json = await cli(['replay', 'examples/goal-shock.jsonl', '--shadow', '--json']);
    const shadow = (JSON.parse(json.out) as { shadow: ShadowReplayResult }).shadow;
    expect(shadow).toMatchObject({ baseTtl: 60, everyMs: 1000 });
    expect(shadow.byImportance.high_stakes.freshMin).toBeCloseTo(4.9, 1);
    expect(JSON.parse((await cli(['replay', 'examples/goal-shock.jsonl', '--json'])).out)).toMatchObject({ shadow: null });
  });
});
