// Tick streams and recorders shared by the VIX tests.
import { simulateTicks, type SimulationOptions } from '../../src/vix/simulate-ticks.js';
import type { VixIndexEvent, VixTransition } from '../../src/vix/vix-hooks.js';
import { VixEngine } from '../../src/vix/vix-engine.js';
import type { VixEngineOptions } from '../../src/vix/vix-options.js';

export const START = Date.UTC(2024, 4, 18, 13, 0);
export const MINUTE = 60_000;

/** A seeded stream: scope `a` (4 markets) and `b` (4 markets), 2 ticks per second each, plus options. */
export function stream(options: Partial<SimulationOptions> & { seed: number; durationMs: number }): unknown[] {
  const scopes = options.scopes ?? [
    { scope: 'a', markets: 4, meanGapMs: 2000 },
    { scope: 'b', markets: 4, meanGapMs: 2000 },
  ];
  return [...simulateTicks({ startMs: START, ...options, scopes })].map((r) => r.tick);
}

/** An engine that records every transition and index event. */
export function recordingEngine(options?: VixEngineOptions): { engine: VixEngine; transitions: VixTransition[]; indexes: VixIndexEvent[] } {
  const engine = new VixEngine(options);
  const transitions: VixTransition[] = [];
  const indexes: VixIndexEvent[] = [];
  engine.onTransition((e) => transitions.push(e));
  engine.onIndex((e) => indexes.push(e));
  return { engine, transitions, indexes };
}

/** Feeds every tick; returns how many were accepted. */
export function feed(engine: VixEngine, ticks: unknown[]): number {
  let accepted = 0;
  for (const tick of ticks) if (engine.ingest(tick).accepted) accepted += 1;
  return accepted;
}

/** The transitions of one scope. */
export function of(transitions: VixTransition[], scope: string): Array<Pick<VixTransition, 'from' | 'to' | 'ts' | 'cause'>> {
  return transitions.filter((t) => t.scope === scope).map(({ from, to, ts, cause }) => ({ from, to, ts, cause }));
}
